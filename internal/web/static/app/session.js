// antrag: warns caseworkers before their session ends (WCAG 2.2, 2.2.1
// Timing Adjustable). The page already says when the session ends and
// offers "Sitzung verlängern" without JavaScript; this script shows the
// same text and button in a dialog some minutes before the end, and tells
// when the session has ended.
(function () {
  'use strict';
  var box = document.getElementById('sitzung');
  if (!box || typeof HTMLDialogElement === 'undefined') {
    return;
  }
  var remaining = parseInt(box.getAttribute('data-remaining'), 10) * 1000;
  var warn = parseInt(box.getAttribute('data-warn'), 10) * 1000;
  if (isNaN(remaining) || isNaN(warn)) {
    return;
  }
  var loaded = Date.now();
  var form = box.querySelector('form');
  var end = document.getElementById('sitzung-ende');

  var dialog = document.createElement('dialog');
  dialog.className = 'app-session-dialog';
  dialog.setAttribute('role', 'alertdialog');
  dialog.setAttribute('aria-labelledby', 'sitzung-dialog-titel');
  dialog.setAttribute('aria-describedby', 'sitzung-dialog-text');
  var title = document.createElement('h2');
  title.className = 'kern-title';
  title.id = 'sitzung-dialog-titel';
  title.textContent = 'Ihre Anmeldung läuft bald ab';
  var text = document.createElement('p');
  text.className = 'kern-body';
  text.id = 'sitzung-dialog-text';
  text.textContent = end ? end.textContent : '';
  dialog.appendChild(title);
  dialog.appendChild(text);
  var extend = null;
  if (form) {
    extend = form.cloneNode(true);
    extend.className = '';
    dialog.appendChild(extend);
  }
  var close = document.createElement('button');
  close.type = 'button';
  close.className = 'kern-btn kern-btn--tertiary';
  close.innerHTML = '<span class="kern-label">Schließen</span>';
  close.addEventListener('click', function () { dialog.close(); });
  dialog.appendChild(close);
  document.body.appendChild(dialog);

  function show() {
    if (!dialog.open) {
      dialog.showModal();
    }
  }
  function expired() {
    title.textContent = 'Ihre Anmeldung ist abgelaufen';
    text.textContent = 'Bitte melden Sie sich erneut an. Nicht gespeicherte Eingaben auf dieser Seite gehen verloren.';
    if (extend) {
      extend.remove();
    }
    var login = document.createElement('a');
    login.className = 'kern-link';
    login.href = '/intern/anmelden';
    login.textContent = 'Zur Anmeldung';
    dialog.insertBefore(login, close);
    show();
  }
  function left() {
    return remaining - (Date.now() - loaded);
  }
  window.setTimeout(show, Math.max(0, left() - warn));
  window.setTimeout(expired, Math.max(0, left()));
})();
