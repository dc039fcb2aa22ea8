/*
 * MD5, HMAC-MD5 and base64 helpers with the names PowerSchool's md5.js exports
 * (hex_md5, b64_md5, hex_hmac_md5, doAdminLogin), for the simulator's legacy sign-in page.
 * A compact implementation of RFC 1321 / RFC 2104; strings are hashed as UTF-8
 * and base64 output has no '=' padding, as in Paul Johnston's library with b64pad="".
 */
(function (root) {
  "use strict";

  function utf8(text) {
    return unescape(encodeURIComponent(text));
  }

  function toWords(bytes) {
    var words = [];
    for (var i = 0; i < bytes.length * 8; i += 8) {
      words[i >> 5] |= (bytes.charCodeAt(i / 8) & 0xff) << (i % 32);
    }
    return words;
  }

  function fromWords(words) {
    var out = "";
    for (var i = 0; i < words.length * 32; i += 8) {
      out += String.fromCharCode((words[i >> 5] >>> (i % 32)) & 0xff);
    }
    return out;
  }

  function add(x, y) {
    var low = (x & 0xffff) + (y & 0xffff);
    return (((x >> 16) + (y >> 16) + (low >> 16)) << 16) | (low & 0xffff);
  }

  function rotate(n, c) {
    return (n << c) | (n >>> (32 - c));
  }

  var S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
  var K = [];
  for (var k = 0; k < 64; k++) {
    K[k] = (Math.abs(Math.sin(k + 1)) * 4294967296) | 0;
  }

  function core(x, length) {
    x[length >> 5] |= 0x80 << (length % 32);
    x[(((length + 64) >>> 9) << 4) + 14] = length;
    var a = 1732584193, b = -271733879, c = -1732584194, d = 271733878;
    for (var i = 0; i < x.length; i += 16) {
      var aa = a, bb = b, cc = c, dd = d;
      for (var j = 0; j < 64; j++) {
        var round = j >> 4, f, g;
        if (round === 0) { f = (b & c) | (~b & d); g = j; }
        else if (round === 1) { f = (d & b) | (~d & c); g = (5 * j + 1) % 16; }
        else if (round === 2) { f = b ^ c ^ d; g = (3 * j + 5) % 16; }
        else { f = c ^ (b | ~d); g = (7 * j) % 16; }
        var t = d;
        d = c;
        c = b;
        b = add(b, rotate(add(add(a, f), add(K[j], x[i + g] | 0)), S[round * 4 + (j % 4)]));
        a = t;
      }
      a = add(a, aa); b = add(b, bb); c = add(c, cc); d = add(d, dd);
    }
    return [a, b, c, d];
  }

  function md5Bytes(bytes) {
    return fromWords(core(toWords(bytes), bytes.length * 8));
  }

  function hmacBytes(key, data) {
    if (key.length > 64) { key = md5Bytes(key); }
    var inner = "", outer = "";
    for (var i = 0; i < 64; i++) {
      var code = i < key.length ? key.charCodeAt(i) : 0;
      inner += String.fromCharCode(code ^ 0x36);
      outer += String.fromCharCode(code ^ 0x5c);
    }
    return md5Bytes(outer + md5Bytes(inner + data));
  }

  function hex(bytes) {
    var out = "";
    for (var i = 0; i < bytes.length; i++) {
      out += (bytes.charCodeAt(i) + 0x100).toString(16).slice(1);
    }
    return out;
  }

  function base64(bytes) {
    var table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    var out = "";
    for (var i = 0; i < bytes.length; i += 3) {
      var n = (bytes.charCodeAt(i) << 16) |
        ((bytes.charCodeAt(i + 1) || 0) << 8) | (bytes.charCodeAt(i + 2) || 0);
      var chars = Math.ceil(((Math.min(3, bytes.length - i)) * 8) / 6);
      for (var j = 0; j < chars; j++) {
        out += table.charAt((n >>> (18 - 6 * j)) & 0x3f);
      }
    }
    return out;
  }

  root.hex_md5 = function (s) { return hex(md5Bytes(utf8(s))); };
  root.b64_md5 = function (s) { return base64(md5Bytes(utf8(s))); };
  root.hex_hmac_md5 = function (k, d) { return hex(hmacBytes(utf8(k), utf8(d))); };
  // The admin sign-in page's submit handler: LDAP gets the typed password, the
  // password field its PCAS hash under the page's pskey.
  root.doAdminLogin = function (form) {
    var pw = form.password.value;
    if (form.ldappassword) { form.ldappassword.value = pw; }
    form.password.value = root.hex_hmac_md5(root.pskey, root.b64_md5(pw));
    return true;
  };
})(typeof window !== "undefined" ? window : globalThis);
