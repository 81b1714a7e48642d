// GET /openapi.json (the document) and GET /docs (the same, as a readable page rendered on the
// server: no scripts, no CDN, works offline).
import type { Express } from 'express';
import { openApiDocument } from './openapi.js';

type Operation = {
  summary: string;
  description?: string;
  tags: string[];
  security: Record<string, string[]>[];
  parameters: { name: string; in: string; required: boolean; description?: string; schema: unknown }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
};

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const schemaBlock = (schema: unknown) => `<pre>${escape(JSON.stringify(schema, null, 2))}</pre>`;

function renderOperation(method: string, path: string, operation: Operation): string {
  const auth = operation.security.length ? Object.keys(operation.security[0]!).join(', ') : 'none';
  const parameters = operation.parameters.length
    ? `<table><tr><th>name</th><th>in</th><th>required</th><th>schema</th><th>description</th></tr>${operation.parameters
        .map((p) => `<tr><td><code>${escape(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : 'no'}</td><td><code>${escape(JSON.stringify(p.schema))}</code></td><td>${escape(p.description ?? '')}</td></tr>`)
        .join('')}</table>`
    : '';
  const body = operation.requestBody
    ? Object.entries(operation.requestBody.content).map(([type, c]) => `<h4>Body (${escape(type)})</h4>${schemaBlock(c.schema)}`).join('')
    : '';
  const responses = Object.entries(operation.responses)
    .map(([status, r]) => {
      const content = r.content ? Object.entries(r.content)[0] : undefined;
      const isError = Number(status) >= 400;
      return `<li><b>${status}</b> ${escape(r.description)}${content && !isError ? `<details><summary>${escape(content[0])}</summary>${schemaBlock(content[1].schema)}</details>` : ''}</li>`;
    })
    .join('');
  const id = `${method}-${path}`.replace(/[^a-z0-9]+/gi, '-');
  return `<section id="${id}"><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3>
<p>${escape(operation.summary)}${operation.description ? `<br>${escape(operation.description)}` : ''}</p>
<p class="auth">auth: ${escape(auth)}</p>${parameters}${body}<h4>Responses</h4><ul>${responses}</ul></section>`;
}

export function renderDocsPage(document: ReturnType<typeof openApiDocument>): string {
  const paths = document.paths as Record<string, Record<string, Operation>>;
  const operations = Object.entries(paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
  const toc = operations.map(({ path, method }) => `<li><a href="#${`${method}-${path}`.replace(/[^a-z0-9]+/gi, '-')}">${method.toUpperCase()} ${escape(path)}</a></li>`).join('');
  const info = document.info as { title: string; description: string };
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(info.title)}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
code,pre{font-family:ui-monospace,monospace}pre{background:#f5f5f5;padding:.6em;overflow:auto;font-size:12px}
section{border-top:1px solid #ddd;padding:.5em 0}.m{display:inline-block;min-width:4.5em;font-size:12px;padding:2px 6px;border-radius:3px;color:#fff;background:#666}
.get{background:#2a7}.post{background:#27c}.put,.patch{background:#c82}.delete{background:#c33}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}.auth{color:#666}</style>
</head><body><h1>${escape(info.title)}</h1><p>${escape(info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${escape(String(document.openapi))}).</p>
<ul>${toc}</ul>${operations.map(({ path, method, op }) => renderOperation(method, path, op)).join('')}</body></html>`;
}

export function installApiDocs(app: Express): void {
  app.get('/openapi.json', (_request, response) => {
    response.json(openApiDocument());
  });
  app.get('/docs', (_request, response) => {
    response.type('html').send(renderDocsPage(openApiDocument()));
  });
}
