// Starts GraphiQL on /graphql from same-origin files only (the page's CSP allows nothing else):
// the options come from the page's JSON block, the Monaco editor workers from /graphiql/.
(() => {
  const options = JSON.parse(document.getElementById('graphiql-options').textContent);
  const workers = {
    editorWorkerService: 'editor.worker.bundle.js',
    json: 'json.worker.bundle.js',
    graphql: 'graphql.worker..bundle.js',
  };
  self.MonacoEnvironment = {
    globalAPI: false,
    getWorkerUrl: (_moduleId, label) =>
      new URL(
        `/graphiql/monacoeditorwork/${workers[label] ?? workers.editorWorkerService}`,
        location.href,
      ).href,
  };
  YogaGraphiQL.renderYogaGraphiQL(document.getElementById('root'), options);
})();
