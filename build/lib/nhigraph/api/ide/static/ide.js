/*
 * nhigraph GraphQL IDE: renders the vendored GraphiQL against the API's /graphql endpoint.
 *
 * Runs with no internet and under a CSP without inline scripts. The request headers carry
 * the user's API key, so they stay in memory: they are sent with each request and never
 * written to localStorage or sessionStorage (GraphiQL may still keep query tabs there).
 */
(function () {
  'use strict';

  // The page is served at <prefix>/ide/ and the API at <prefix>/graphql.
  var ENDPOINT = new URL('../graphql', document.baseURI).href;

  var DEFAULT_HEADERS = '{"Authorization": "Bearer <your API key>"}';

  var DEFAULT_QUERY = [
    '# Put your API key in the Headers tab below,',
    '# then re-fetch the schema (Shift-Ctrl-R).',
    '',
    '{ integrations(first: 5) { edges { node { id name kind } } } }',
    '',
  ].join('\n');

  var STORAGE_PREFIX = 'graphiql:';

  function isHeadersKey(key) {
    return String(key).toLowerCase().indexOf('headers') !== -1;
  }

  // GraphiQL stores request headers in the query history ("queries", "favorites") even
  // with shouldPersistHeaders off, so every stored JSON value has its "headers" fields
  // nulled (not removed: GraphiQL discards saved tabs that lack the field).
  function withoutHeaders(value) {
    if (typeof value !== 'string') return value;
    var parsed;
    try {
      parsed = JSON.parse(value);
    } catch (e) {
      return value;
    }
    if (parsed === null || typeof parsed !== 'object') return value;
    return JSON.stringify(parsed, function (key, v) {
      return isHeadersKey(key) ? null : v;
    });
  }

  function backingStore() {
    try {
      var local = window.localStorage;
      var probe = STORAGE_PREFIX + 'probe';
      local.setItem(probe, '1');
      local.removeItem(probe);
      return local;
    } catch (e) {
      // Storage disabled (private mode, policy): keep tabs for this page only.
      var items = new Map();
      return {
        get length() { return items.size; },
        key: function (i) { return Array.from(items.keys())[i] || null; },
        getItem: function (k) { return items.has(k) ? items.get(k) : null; },
        setItem: function (k, v) { items.set(k, String(v)); },
        removeItem: function (k) { items.delete(k); },
      };
    }
  }

  function ownKeys(store) {
    var keys = [];
    for (var i = 0; i < store.length; i++) {
      var k = store.key(i);
      if (k !== null && k.indexOf(STORAGE_PREFIX) === 0) keys.push(k);
    }
    return keys;
  }

  // The Storage GraphiQL is given: a header-free view of the browser's localStorage.
  function headerFreeStorage() {
    var store = backingStore();
    // Scrub what an earlier page (or another GraphiQL on this origin) may have left.
    ownKeys(store).forEach(function (k) {
      if (isHeadersKey(k)) {
        store.removeItem(k);
      } else {
        var v = store.getItem(k);
        var clean = withoutHeaders(v);
        if (clean !== v) store.setItem(k, clean);
      }
    });
    return {
      getItem: function (k) {
        return isHeadersKey(k) ? null : withoutHeaders(store.getItem(k));
      },
      setItem: function (k, v) {
        if (isHeadersKey(k)) {
          store.removeItem(k);
          return;
        }
        store.setItem(k, withoutHeaders(String(v)));
      },
      removeItem: function (k) { store.removeItem(k); },
      clear: function () { ownKeys(store).forEach(function (k) { store.removeItem(k); }); },
      get length() { return ownKeys(store).length; },
    };
  }

  // A server or proxy error page (HTML, text) becomes a GraphQL error GraphiQL can show,
  // instead of a JSON parse error.
  function fetchJson(url, init) {
    return window.fetch(url, init).then(function (response) {
      var type = response.headers.get('content-type') || '';
      if (/[\/+]json\b/i.test(type)) return response;
      var message = 'HTTP ' + response.status + (response.statusText ? ' ' + response.statusText : '') +
        ': the server did not answer with JSON (content-type "' + type + '")';
      return new Response(JSON.stringify({ errors: [{ message: message }] }), {
        status: response.status,
        headers: { 'content-type': 'application/json' },
      });
    });
  }

  // POSTs {query, variables, operationName} as JSON with the headers typed in the editor;
  // they are passed per request and not kept by the fetcher.
  var fetcher = GraphiQL.createFetcher({
    url: ENDPOINT,
    fetch: fetchJson,
    headers: { accept: 'application/json' },
    enableIncrementalDelivery: false,
  });

  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      storage: headerFreeStorage(),
      shouldPersistHeaders: false,
      isHeadersEditorEnabled: true,
      defaultHeaders: DEFAULT_HEADERS,
      defaultQuery: DEFAULT_QUERY,
      defaultEditorToolsVisibility: 'headers',
    })
  );
})();
