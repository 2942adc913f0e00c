// Starts Swagger UI on /api/docs (a file of its own: the page allows no inline script).
const root = document.getElementById("swagger-ui");
window.SwaggerUIBundle({
  url: root.dataset.spec,
  domNode: root,
  deepLinking: true,
  // No badge from the public validator: nothing leaves this server.
  validatorUrl: null,
  persistAuthorization: false,
  tryItOutEnabled: false,
  docExpansion: "list",
  defaultModelsExpandDepth: 0,
});
