// Passkeys: runs the WebAuthn ceremonies of the account page (add a
// passkey), the second-factor step and the sign-in page. Each asks the
// server to begin (JSON options), calls the browser's WebAuthn API, and
// sends the authenticator's answer to finish; the server's answer says
// where to go next. Errors are the server's own safe messages.
(function () {
  "use strict";

  function fromB64url(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(o) {
    var pk = o.publicKey;
    pk.challenge = fromB64url(pk.challenge);
    pk.user.id = fromB64url(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
    return { publicKey: pk };
  }

  function requestOptions(o) {
    var pk = o.publicKey;
    pk.challenge = fromB64url(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
    return { publicKey: pk };
  }

  function credentialJSON(c) {
    var r = c.response, out = {
      id: c.id, rawId: toB64url(c.rawId), type: c.type,
      authenticatorAttachment: c.authenticatorAttachment || undefined,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: { clientDataJSON: toB64url(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = toB64url(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      if (r.userHandle) out.response.userHandle = toB64url(r.userHandle);
    }
    return out;
  }

  // post sends JSON and resolves with the JSON answer, or rejects with the
  // server's error ({code, message, field, errors}).
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) throw data.error || { message: "Something went wrong. Try again." };
        return data;
      });
    });
  }

  // browserError is what a failed WebAuthn call means for the user.
  function browserError(e) {
    if (e && e.message && !e.name) return e; // the server's
    if (e && e.name === "NotAllowedError") return { message: "The passkey request was cancelled or timed out. Try again when you are ready." };
    if (e && e.name === "InvalidStateError") return { message: "This device already holds a passkey for your account." };
    if (!window.PublicKeyCredential) return { message: "This browser cannot use passkeys." };
    return { message: "Your browser could not use the passkey. Try again." };
  }

  function withNext(url, next) {
    return next ? url + "?next=" + encodeURIComponent(next) : url;
  }

  function show(box, err) {
    box.textContent = err.message;
    box.hidden = false;
    box.focus();
  }

  // A button that runs a sign-in ceremony: the second factor or the
  // passkey sign-in.
  function signInButton(btn) {
    var box = document.getElementById("passkey-error");
    btn.addEventListener("click", function () {
      btn.disabled = true;
      box.hidden = true;
      post(btn.dataset.begin).then(function (opts) {
        return navigator.credentials.get(requestOptions(opts));
      }).then(function (cred) {
        return post(withNext(btn.dataset.finish, btn.dataset.next), credentialJSON(cred));
      }).then(function (res) {
        window.location.assign(res.redirect);
      }).catch(function (e) {
        btn.disabled = false;
        show(box, browserError(e));
      });
    });
  }

  // The account page's form: name and current password, then the ceremony.
  function registerForm(form) {
    var box = document.getElementById("passkey-problems"), list = document.getElementById("passkey-problem-list");
    var fields = ["name", "current_password"];
    function clear() {
      box.hidden = true;
      list.textContent = "";
      fields.forEach(function (f) {
        var input = document.getElementById(f), msg = document.getElementById(f + "-error");
        input.classList.remove("is-invalid");
        input.removeAttribute("aria-invalid");
        input.setAttribute("aria-describedby", f + "-hint");
        msg.hidden = true;
      });
    }
    function problems(err) {
      var ps = err.errors && err.errors.length ? err.errors : [{ field: err.field || "", message: err.message }];
      ps.forEach(function (p) {
        var li = document.createElement("li");
        var input = fields.indexOf(p.field) >= 0 ? document.getElementById(p.field) : null;
        if (input) {
          var a = document.createElement("a");
          a.className = "alert-link";
          a.href = "#" + p.field;
          a.textContent = p.message;
          li.appendChild(a);
          var msg = document.getElementById(p.field + "-error");
          msg.textContent = p.message;
          msg.hidden = false;
          input.classList.add("is-invalid");
          input.setAttribute("aria-invalid", "true");
          input.setAttribute("aria-describedby", p.field + "-hint " + p.field + "-error");
        } else {
          li.textContent = p.message;
        }
        list.appendChild(li);
      });
      box.hidden = false;
      box.focus();
    }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      clear();
      var btn = document.getElementById("add-passkey");
      btn.disabled = true;
      var pw = document.getElementById("current_password");
      post(form.dataset.begin, { name: document.getElementById("name").value, current_password: pw.value }).then(function (opts) {
        pw.value = "";
        return navigator.credentials.create(creationOptions(opts));
      }).then(function (cred) {
        return post(form.dataset.finish, credentialJSON(cred));
      }).then(function (res) {
        window.location.assign(res.redirect);
      }).catch(function (e) {
        btn.disabled = false;
        problems(browserError(e));
      });
    });
  }

  var form = document.getElementById("passkey-register");
  if (form) registerForm(form);
  ["passkey-use", "passkey-sign-in"].forEach(function (id) {
    var btn = document.getElementById(id);
    if (btn) signInButton(btn);
  });
})();
