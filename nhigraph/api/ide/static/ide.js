/*
 * nhigraph GraphQL IDE: renders the vendored GraphiQL against the API's /graphql endpoint.
 *
 * Runs with no internet and under a CSP without inline scripts. The API key typed in the
 * key bar is kept in sessionStorage (this tab only, gone when it closes), never in a URL,
 * localStorage or GraphiQL's own storage, and is sent as the Authorization header of each
 * request. With it the page fetches the schema as SDL (../schema.graphql, analysts and
 * admins) and builds it with GraphiQL's bundled graphql-js, so docs and completion work
 * while introspection stays off on the server. A reader's key works too, without docs.
 */
(function () {
  'use strict';

  // The page is served at <prefix>/ide/ and the API at <prefix>/graphql.
  var ENDPOINT = new URL('../graphql', document.baseURI).href;
  var SDL = new URL('../schema.graphql', document.baseURI).href;
  var KEY_SLOT = 'nhigraph:api-key';
  var STORAGE_PREFIX = 'graphiql:';

  var DEFAULT_QUERY = [
    '# Docs: the book icon on the left. Completion: start typing, or Ctrl-Space.',
    '',
    '{ integrations(first: 5) { edges { node { id name kind } } } }',
    '',
  ].join('\n');

  var form = document.getElementById('key-bar');
  var input = document.getElementById('api-key');
  var status = document.getElementById('key-status');
  var root = null;
  var apiKey = null;

  function say(text) {
    status.textContent = text;
  }

  function tabStorage() {
    try {
      return window.sessionStorage;
    } catch (e) {
      return null;  // storage disabled: the key lives in this page only
    }
  }

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

  // Every request carries the key; a server or proxy error page (HTML, text) becomes a
  // GraphQL error GraphiQL can show, instead of a JSON parse error.
  function fetchWithKey(url, init) {
    var options = Object.assign({}, init || {});
    var headers = new Headers(options.headers || {});
    if (apiKey) headers.set('Authorization', 'Bearer ' + apiKey);
    options.headers = headers;
    options.credentials = 'omit';
    options.cache = 'no-store';
    return window.fetch(url, options).then(function (response) {
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

  var fetcher = GraphiQL.createFetcher({
    url: ENDPOINT,
    fetch: fetchWithKey,
    headers: { accept: 'application/json' },
    enableIncrementalDelivery: false,
  });

  function render(schema) {
    if (root === null) root = ReactDOM.createRoot(document.getElementById('graphiql'));
    root.render(
      React.createElement(GraphiQL, {
        // A key changes the schema: a fresh GraphiQL, not a stale one.
        key: schema ? 'with-schema' : 'without-schema',
        fetcher: fetcher,
        // null, never undefined: undefined would make GraphiQL introspect, which is off.
        schema: schema,
        storage: headerFreeStorage(),
        shouldPersistHeaders: false,
        isHeadersEditorEnabled: true,
        defaultQuery: DEFAULT_QUERY,
      })
    );
  }

  function useKey(key) {
    apiKey = key;
    say('checking the key…');
    return window.fetch(SDL, {
      headers: { Authorization: 'Bearer ' + key },
      credentials: 'omit',
      cache: 'no-store',
    }).then(function (response) {
      if (response.status === 401) {
        apiKey = null;
        var slot = tabStorage();
        if (slot) slot.removeItem(KEY_SLOT);
        say('the key was not accepted');
        render(null);
        return;
      }
      var slot2 = tabStorage();
      if (slot2) slot2.setItem(KEY_SLOT, key);
      if (response.status === 403) {
        say('key in use for this tab (a reader key: no docs or completion)');
        render(null);
        return;
      }
      if (!response.ok) {
        say('the schema could not be loaded (HTTP ' + response.status + ')');
        render(null);
        return;
      }
      return response.text().then(function (sdl) {
        render(GraphiQL.GraphQL.buildSchema(sdl));
        say('key in use for this tab; docs and completion from the schema');
      });
    }).catch(function () {
      say('the server could not be reached');
      render(null);
    });
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var key = input.value.trim();
    input.value = '';
    if (key) useKey(key);
  });

  document.getElementById('forget-key').addEventListener('click', function () {
    var slot = tabStorage();
    if (slot) slot.removeItem(KEY_SLOT);
    apiKey = null;
    say('key forgotten');
    render(null);
  });

  var slot = tabStorage();
  var kept = slot ? slot.getItem(KEY_SLOT) : null;
  if (kept) {
    useKey(kept);
  } else {
    say('enter an API key to use the IDE in this tab');
    render(null);
  }
})();
