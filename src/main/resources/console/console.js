// segment-bridge operator console. Everything it shows comes from /admin/* with the admin token, which is kept in this
// tab's sessionStorage only (never in a URL, a cookie or a log). Data is untrusted: it is only ever put on the page as
// text (textContent, DOM nodes), never as HTML.
'use strict';

(function () {
  const TOKEN_KEY = 'segment-bridge.admin-token';
  const $ = (id) => document.getElementById(id);

  /** An element with attributes, listeners (onclick ...) and children; strings become text nodes. */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (name.startsWith('on')) {
        node.addEventListener(name.slice(2), value);
      } else if (value !== null && value !== undefined && value !== false) {
        node.setAttribute(name, value === true ? '' : String(value));
      }
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) {
        node.append(child instanceof Node ? child : String(child));
      }
    }
    return node;
  }

  function table(headings, rows, attributes) {
    if (rows.length === 0) {
      return el('p', { class: 'empty' }, 'None.');
    }
    return el('table', attributes,
      el('thead', null, el('tr', null, headings.map((heading) => el('th', null, heading)))),
      el('tbody', null, rows));
  }

  const cell = (value, field) => el('td', { 'data-field': field }, value === null || value === undefined ? '' : value);
  const number = (value, field) => el('td', { class: 'number', 'data-field': field }, value === null ? '—' : value);
  const json = (value) => el('pre', null, JSON.stringify(value, null, 2));

  // ---- messages -------------------------------------------------------------------------------------------------

  function showError(error) {
    $('notice').hidden = true;
    $('error').textContent = (error.status ? error.status + ': ' : '') + error.message;
    $('error').hidden = false;
  }

  function showNotice(text) {
    $('error').hidden = true;
    $('notice').textContent = text;
    $('notice').hidden = false;
  }

  function clearMessages() {
    $('error').hidden = true;
    $('notice').hidden = true;
  }

  // ---- the admin API --------------------------------------------------------------------------------------------

  class AdminError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(method, path, parameters, body) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) {
      throw new AdminError(401, 'log in with the admin token first');
    }
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(parameters || {})) {
      if (value) {
        query.set(name, value);
      }
    }
    const headers = { Authorization: 'Bearer ' + token, Accept: 'application/json' };
    const request = { method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      request.body = JSON.stringify(body);
    }
    const response = await fetch(path + (query.toString() ? '?' + query : ''), request);
    let answer = null;
    try {
      answer = await response.json();
    } catch (notJson) {
      answer = null;
    }
    if (!response.ok) {
      if (response.status === 401) {
        logOut(); // a wrong or withdrawn token: nothing stays on the page
      }
      throw new AdminError(response.status, answer && typeof answer.error === 'string' ? answer.error : response.statusText);
    }
    return answer;
  }

  // ---- log in and out -------------------------------------------------------------------------------------------

  async function logIn(event) {
    event.preventDefault();
    const token = $('token').value.trim();
    $('token').value = '';
    clearMessages();
    sessionStorage.setItem(TOKEN_KEY, token);
    try {
      await show('destinations');
    } catch (error) {
      showError(error);
    }
  }

  function logOut() {
    sessionStorage.removeItem(TOKEN_KEY);
    for (const view of document.querySelectorAll('.view')) {
      view.hidden = true;
    }
    for (const id of ['destinations', 'dead-letters', 'dead-letter', 'dry-run', 'person', 'routes', 'settings']) {
      $(id).replaceChildren();
    }
    $('console').hidden = true;
    $('logout').hidden = true;
    $('login').hidden = false;
  }

  // ---- views ----------------------------------------------------------------------------------------------------

  const views = {
    'destinations': loadDestinations,
    'dead-letters': loadDeadLetters,
    'dry-run': loadDryRun,
    'person': async () => {},
    'routes': loadRoutes,
    'settings': loadSettings,
  };

  /** Loads a view's data and only then shows it: a refused token shows nothing. */
  async function show(name) {
    await views[name]();
    $('login').hidden = true;
    $('console').hidden = false;
    $('logout').hidden = false;
    for (const view of document.querySelectorAll('.view')) {
      view.hidden = view.id !== 'view-' + name;
    }
    for (const button of document.querySelectorAll('nav button')) {
      if (button.dataset.view === name) {
        button.setAttribute('aria-current', 'page');
      } else {
        button.removeAttribute('aria-current');
      }
    }
  }

  async function loadDestinations() {
    const answer = await api('GET', '/admin/destinations');
    $('destinations').replaceChildren(
      el('p', null, 'Per minute: the last ' + answer.windowSeconds + ' s, as of ' + answer.at + '.'),
      table(['Destination', 'Mode', 'Queue depth', 'Dead letters', 'Delivered/min', 'Retried/min', 'Dead-lettered/min',
        '429s/min', '429s since start', 'Paused until'],
      answer.destinations.map((destination) => el('tr', { 'data-destination': destination.destination },
        cell(destination.destination, 'destination'),
        cell(destination.mode + (destination.why ? ' (' + destination.why + ')' : ''), 'mode'),
        number(destination.queueDepth, 'queueDepth'),
        number(destination.deadLetters, 'deadLetters'),
        number(destination.lastMinute.delivered, 'delivered'),
        number(destination.lastMinute.retried, 'retried'),
        number(destination.lastMinute.deadLettered, 'deadLettered'),
        number(destination.lastMinute.rateLimited, 'rateLimited'),
        number(destination.sinceStart.rateLimited, 'rateLimitedSinceStart'),
        cell(pauses(destination), 'pausedUntil'))), { id: 'destinations-table' }));
  }

  function pauses(destination) {
    const endpoints = Object.entries(destination.endpointPauses).map(([action, until]) => action + ' until ' + until);
    return [destination.pausedUntil ? 'until ' + destination.pausedUntil : 'not paused'].concat(endpoints).join('; ');
  }

  function deadLetterFilter() {
    return {
      destination: $('filter-destination').value.trim(),
      action: $('filter-action').value.trim(),
      reason: $('filter-reason').value.trim(),
    };
  }

  async function loadDeadLetters() {
    const answer = await api('GET', '/admin/dead-letters', deadLetterFilter());
    $('dead-letters').replaceChildren(
      el('p', null, answer.count + ' dead letter(s), newest first.'),
      table(['Created', 'Destination', 'Action', 'messageId', 'HTTP status', 'Code', 'Reason', ''],
        answer.deadLetters.map((letter) => el('tr', { 'data-id': letter.id },
          cell(letter.createdAt, 'createdAt'),
          cell(letter.destination, 'destination'),
          cell(letter.action, 'action'),
          cell(letter.messageId, 'messageId'),
          number(letter.status, 'status'),
          cell(letter.code, 'code'),
          cell(letter.reason, 'reason'),
          el('td', null, el('button', { type: 'button', class: 'open', onclick: () => act(() => openDeadLetter(letter.id)) }, 'Open')))),
        { id: 'dead-letters-table' }));
  }

  async function openDeadLetter(id) {
    const letter = await api('GET', '/admin/dead-letters/' + encodeURIComponent(id));
    $('dead-letter').replaceChildren(el('div', { class: 'detail', id: 'dead-letter-detail', 'data-id': letter.id },
      el('h3', null, 'Dead letter ' + letter.id),
      el('dl', null,
        el('dt', null, 'Destination'), el('dd', null, letter.destination),
        el('dt', null, 'Action'), el('dd', null, letter.action),
        el('dt', null, 'messageId'), el('dd', null, letter.messageId || ''),
        el('dt', null, 'Attempts'), el('dd', null, letter.attempts),
        el('dt', null, 'Created'), el('dd', null, letter.createdAt)),
      el('h3', null, "The vendor's answer"),
      el('dl', { id: 'vendor-answer' },
        el('dt', null, 'HTTP status'), el('dd', { 'data-field': 'status' }, letter.status === 0 ? 'none (no answer)' : letter.status),
        el('dt', null, 'Code'), el('dd', { 'data-field': 'code' }, letter.code || ''),
        el('dt', null, 'Reason'), el('dd', { 'data-field': 'reason' }, letter.reason)),
      el('h3', null, 'Event'), el('div', { id: 'dead-letter-event' }, json(letter.event)),
      el('h3', null, 'Item the action prepared'), el('div', { id: 'dead-letter-item' }, letter.item === null ? el('p', { class: 'empty' }, 'None.') : json(letter.item)),
      el('button', { type: 'button', id: 'replay', onclick: () => act(() => replay(letter)) }, 'Replay'),
      ' ',
      el('button', { type: 'button', id: 'discard', onclick: () => act(() => discard(letter)) }, 'Discard')));
  }

  async function replay(letter) {
    await api('POST', '/admin/dead-letters/' + encodeURIComponent(letter.id) + '/replay');
    $('dead-letter').replaceChildren();
    await loadDeadLetters();
    showNotice('Replayed dead letter ' + letter.id + ': its event is queued for ' + letter.destination + ' again.');
  }

  async function discard(letter) {
    await api('DELETE', '/admin/dead-letters/' + encodeURIComponent(letter.id));
    $('dead-letter').replaceChildren();
    await loadDeadLetters();
    showNotice('Discarded dead letter ' + letter.id + '.');
  }

  async function replayAll() {
    const answer = await api('POST', '/admin/dead-letters/replay', deadLetterFilter());
    $('dead-letter').replaceChildren();
    await loadDeadLetters();
    showNotice('Replayed ' + answer.replayed + ' dead letter(s).');
  }

  async function loadDryRun() {
    const answer = await api('GET', '/admin/dry-run');
    $('dry-run').replaceChildren(
      el('p', null, answer.count + ' request(s), newest first; credentials are masked when they are recorded.'),
      table(['At', 'Destination', 'Action', 'Items', 'Request', 'Body'],
        answer.requests.map((request) => el('tr', null,
          cell(request.at, 'at'), cell(request.destination, 'destination'), cell(request.action, 'action'),
          number(request.items, 'items'), cell(request.method + ' ' + request.url, 'request'),
          el('td', null, json(request.body))))));
  }

  // ---- a person -------------------------------------------------------------------------------------------------

  async function lookUp(event) {
    event.preventDefault();
    clearMessages();
    const kind = $('person-kind').value;
    const value = $('person-value').value.trim();
    await act(() => loadPerson(kind, value));
  }

  /** A 404 is an answer here ("none"); anything else is an error for the whole view. */
  async function orNone(request) {
    try {
      return await request;
    } catch (error) {
      if (error.status === 404) {
        return null;
      }
      throw error;
    }
  }

  async function loadPerson(kind, value) {
    const named = { [kind]: value };
    const links = await orNone(api('GET', '/admin/people', named));
    const email = kind === 'email' ? value : links && links.emails.length > 0 ? links.emails[0] : null;
    const consent = email ? await orNone(api('GET', '/admin/privacy/consent', { email })) : null;
    const audit = await api('GET', '/admin/privacy/audit', named);
    $('person').replaceChildren(
      el('h3', null, 'Identity links'),
      links === null ? el('p', { class: 'empty', id: 'person-links' }, 'The bridge knows no person with this ' + kind + '.')
        : el('dl', { id: 'person-links' },
          el('dt', null, 'Emails'), el('dd', { 'data-field': 'emails' }, links.emails.join(', ')),
          el('dt', null, 'userIds'), el('dd', { 'data-field': 'userIds' }, links.userIds.join(', ')),
          el('dt', null, 'anonymousIds'), el('dd', { 'data-field': 'anonymousIds' }, links.anonymousIds.join(', ')),
          el('dt', null, 'Person ids'), el('dd', { 'data-field': 'personIds' }, links.personIds.join(', '))),
      el('h3', null, 'Email consent'),
      consent === null ? el('p', { class: 'empty', id: 'person-consent' }, 'No consent record.')
        : el('dl', { id: 'person-consent' },
          el('dt', null, 'State'), el('dd', { 'data-field': 'state' }, consent.state),
          el('dt', null, 'Origin'), el('dd', { 'data-field': 'origin' }, consent.origin),
          el('dt', null, 'Changed at'), el('dd', { 'data-field': 'changedAt' }, consent.changedAt)),
      el('h3', null, 'Privacy audit'),
      table(['At', 'Request', 'Platform', 'Step', 'Result', 'Reference'],
        audit.entries.map((entry) => el('tr', null, cell(entry.at, 'at'), cell(entry.request, 'request'),
          cell(entry.platform, 'platform'), cell(entry.step, 'step'), cell(entry.result, 'result'),
          cell(entry.reference, 'reference'))), { id: 'person-audit' }),
      el('div', { id: 'erase-area' },
        el('button', { type: 'button', id: 'erase', onclick: () => confirmErase(kind, value) }, 'Erase…')));
  }

  function confirmErase(kind, value) {
    $('erase-area').replaceChildren(el('div', { class: 'confirm', role: 'alertdialog' },
      el('p', null, 'Erase the person with ' + kind + ' ' + value + ' from the bridge and from every platform? This cannot be undone.'),
      el('button', { type: 'button', id: 'erase-confirm', onclick: () => act(() => erase(kind, value)) }, 'Erase everywhere'),
      ' ',
      el('button', { type: 'button', id: 'erase-cancel', onclick: () => act(() => loadPerson(kind, value)) }, 'Cancel')));
  }

  async function erase(kind, value) {
    const answer = await api('POST', '/admin/privacy/delete', undefined, { [kind]: value });
    await loadPerson(kind, value);
    showNotice('Erasure ' + answer.request + ' accepted; its steps appear in the privacy audit as they run.');
  }

  // ---- configuration --------------------------------------------------------------------------------------------

  async function loadRoutes() {
    const answer = await api('GET', '/admin/routes');
    $('routes').replaceChildren(
      el('h3', null, 'Routes'),
      table(['Route', 'File', 'From', 'Status', 'Validation'],
        answer.routes.map((route) => el('tr', { 'data-route': route.id },
          cell(route.id, 'id'), cell(route.file, 'file'), cell(route.from, 'from'), cell(route.status, 'status'),
          el('td', { 'data-field': 'validation' }, route.validation,
            (route.warnings || []).map((warning) => el('div', { class: 'warning' }, warning))))),
        { id: 'routes-table' }),
      el('h3', null, 'Mappings'),
      table(['Mapping', 'File', 'Validation'],
        answer.mappings.map((mapping) => el('tr', { 'data-mapping': mapping.name },
          cell(mapping.name, 'name'), cell(mapping.file, 'file'), cell(mapping.validation, 'validation'))),
        { id: 'mappings-table' }),
      el('h3', null, 'Warnings'),
      answer.warnings.length === 0 ? el('p', { class: 'empty' }, 'None.')
        : el('ul', null, answer.warnings.map((warning) => el('li', { class: 'warning' }, warning))));
  }

  async function loadSettings() {
    const answer = await api('GET', '/admin/settings');
    $('settings').replaceChildren(table(['Setting', 'Value', 'Secret'],
      answer.settings.map((setting) => el('tr', { 'data-key': setting.key },
        cell(setting.key, 'key'),
        cell(setting.secret ? (setting.set ? setting.value + ' (set)' : '(not set)') : setting.value, 'value'),
        cell(setting.secret ? 'secret' : '', 'secret'))), { id: 'settings-table' }));
  }

  // ---- wiring ---------------------------------------------------------------------------------------------------

  /** Runs an action of the operator's, showing its failure. */
  async function act(action) {
    try {
      await action();
    } catch (error) {
      showError(error);
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', logIn);
    $('logout').addEventListener('click', () => {
      logOut();
      clearMessages();
    });
    for (const button of document.querySelectorAll('nav button, button.refresh')) {
      button.addEventListener('click', () => act(async () => {
        clearMessages();
        await show(button.dataset.view);
      }));
    }
    $('dead-letter-filter').addEventListener('submit', (event) => {
      event.preventDefault();
      act(async () => {
        clearMessages();
        await loadDeadLetters();
      });
    });
    $('replay-all').addEventListener('click', () => act(replayAll));
    $('person-form').addEventListener('submit', lookUp);
    if (sessionStorage.getItem(TOKEN_KEY)) {
      act(() => show('destinations'));
    }
  });
})();
