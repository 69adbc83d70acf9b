// The registration form's checks on the tablet, before a record is sealed: the same rules
// the station's schema applies (fieldreg/formrules.py reads them from the marshmallow schemas
// into the page's #form-rules), the station's code check, and the plausibility warnings.
// Pure functions of name/value pairs: tests/test_browser_register.py runs a table of cases
// through these and through the schema and compares. Mirrors fieldreg/forms.py for what it
// does to typed values (digits, dates) and for which member blocks count.
(function () {
  "use strict";
  var EASTERN = "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹";
  var DATE_PARTS = /^(?:([0-9]{4})[-/. ]+([0-9]{1,2})[-/. ]+([0-9]{1,2})|([0-9]{4})([0-9]{2})([0-9]{2}))$/;
  var PERSON = ["given_name", "father_name", "mother_name", "family_name", "sex", "age_years",
    "date_of_birth", "relationship", "tag_code"];
  var ALONE = ["unaccompanied_child", "separated_child"];
  var MAX_MEMBERS = 40;

  function western(text) {
    return text.replace(/[٠-٩۰-۹]/g, function (ch) { return String(EASTERN.indexOf(ch) % 10); });
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function normalDate(text) {
    var m = DATE_PARTS.exec(text.trim());
    if (!m) return text;
    var parts = m.slice(1).filter(function (g) { return g !== undefined; });
    return parts[0] + "-" + pad(parseInt(parts[1], 10)) + "-" + pad(parseInt(parts[2], 10));
  }

  function bare(name) { return name.replace(/^m\d+-/, ""); }

  // Write typed values as the station reads them (fieldreg.forms.normal_input).
  function normalise(pairs, rules) {
    return pairs.map(function (p) {
      var name = bare(p[0]), value = p[1];
      if (rules.digit_inputs.indexOf(name) >= 0 || rules.digit_inputs.indexOf(p[0]) >= 0) {
        value = western(value);
      }
      if (name === "date_of_birth") value = normalDate(value);
      return [p[0], value];
    });
  }

  function get(pairs, name) {
    var hit = pairs.find(function (p) { return p[0] === name && p[1].trim(); });
    return hit ? hit[1].trim() : "";
  }

  function all(pairs, name) {
    return pairs.filter(function (p) { return p[0] === name && p[1].trim(); })
      .map(function (p) { return p[1].trim(); });
  }

  function prefix(i) { return i === 0 ? "" : "m" + i + "-"; }

  // The member blocks that count (fieldreg.forms.member_indices and _filled).
  function blocks(pairs) {
    var found = { 0: true };
    pairs.forEach(function (p) {
      var m = /^m(\d+)-/.exec(p[0]);
      if (m) found[parseInt(m[1], 10)] = true;
    });
    var indices = Object.keys(found).map(Number).sort(function (a, b) { return a - b; });
    return indices.slice(0, MAX_MEMBERS + 1).filter(function (i) {
      return i === 0 || PERSON.some(function (k) { return k !== "sex" && get(pairs, prefix(i) + k); });
    });
  }

  function length(text) { return Array.from(text).length; }

  function codeValid(text, rules) {
    var alphabet = rules.code.alphabet;
    var raw = text.replace(/[\s\-_.]+/g, "").toUpperCase();
    if (raw.length !== rules.code.length) return false;
    var total = 0;
    for (var i = 0; i < raw.length; i++) {
      var v = alphabet.indexOf(raw[raw.length - 1 - i]);
      if (v < 0) return false;
      if (i > 0) total += v * (i + 1);
    }
    return alphabet[(alphabet.length - total % alphabet.length) % alphabet.length] === raw[raw.length - 1];
  }

  function parseDate(text) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (!m) return null;
    var y = +m[1], mo = +m[2], d = +m[3];
    var date = new Date(Date.UTC(y, mo - 1, d));
    if (y < 1 || date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
    return text;
  }

  function isInteger(text) { return /^[+-]?[0-9]+(?:_[0-9]+)*$/.test(text); }

  // Check one input's values against its rules; return the first message, as the schema does.
  function checkValue(rule, values, today) {
    var value = values[0] || "";
    if (!values.length) return rule.required || null;
    if (rule.each_one_of) {
      if (values.some(function (v) { return rule.each_one_of[0].indexOf(v) < 0; })) return rule.each_one_of[1];
      if (rule.max_length && values.length > rule.max_length[0]) return rule.max_length[1];
      return null;
    }
    if (rule.integer) {
      if (!isInteger(value)) return rule.integer;
      var n = parseInt(value.replace(/_/g, ""), 10);
      if (rule.range && (n < rule.range[0] || n > rule.range[1])) return rule.range[2];
    }
    if (rule.date) {
      if (!parseDate(value)) return rule.date;
      if (rule.birth_range && (value < rule.birth_range[0] || value > today)) return rule.birth_range[1];
    }
    if (rule.one_of && rule.one_of[0].indexOf(value) < 0) return rule.one_of[1];
    if (rule.max_length && length(value) > rule.max_length[0]) return rule.max_length[1];
    if (rule.phone_chars && !Array.from(value).every(function (ch) {
      return /\p{Nd}/u.test(ch) || rule.phone_chars[0].indexOf(ch) >= 0;
    })) return rule.phone_chars[1];
    if (rule.code && !codeValid(value, rules_)) return rule.code;
    return null;
  }
  var rules_ = null;

  function ageOf(pairs, pre, today) {
    var given = get(pairs, pre + "age_years");
    if (given) return parseInt(given.replace(/_/g, ""), 10);
    var born = get(pairs, pre + "date_of_birth");
    if (!born) return null;
    var years = +today.slice(0, 4) - +born.slice(0, 4);
    return today.slice(5) < born.slice(5) ? years - 1 : years;
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_m, k) { return String(values[k]); });
  }

  // Answers that are possible but probably mistyped (fieldreg/plausibility.py).
  function warnings(pairs, rules, kept, today) {
    var p = rules.plausibility, out = {}, headAge = ageOf(pairs, "", today);
    kept.forEach(function (i) {
      var pre = prefix(i), found = [], age = ageOf(pairs, pre, today);
      var given = get(pairs, pre + "age_years"), born = get(pairs, pre + "date_of_birth");
      if (given && born) {
        var fromBirth = ageOf([[pre + "date_of_birth", born]], pre, today);
        if (Math.abs(age - fromBirth) > p.age_tolerance) {
          found.push(fill(p.messages.age_mismatch, { age: age, born: fromBirth }));
        }
      }
      if (age !== null && age >= p.very_old) found.push(fill(p.messages.very_old, { age: age }));
      var alone = all(pairs, pre + "vulnerabilities").some(function (v) { return ALONE.indexOf(v) >= 0; });
      if (i === 0 && age !== null && age < p.young_head && !alone) {
        found.push(fill(p.messages.young_head, { age: age }));
      }
      if (i !== 0 && age !== null && headAge !== null) {
        var rel = get(pairs, pre + "relationship");
        if (rel === "child" && age >= headAge) found.push(p.messages.child_older);
        if (rel === "parent" && age <= headAge) found.push(p.messages.parent_younger);
      }
      if (found.length) out[pre + "age_years"] = found;
    });
    return out;
  }

  // Check a household's name/value pairs: {errors: {input: [message]}, warnings: {...}}.
  function check(pairs, rules, today) {
    rules_ = rules;
    var errors = {}, kept = blocks(pairs);
    function run(name, rule) {
      var message = checkValue(rule, all(pairs, name), today);
      if (message) errors[name] = [message];
    }
    kept.forEach(function (i) {
      Object.keys(rules.person).forEach(function (key) { run(prefix(i) + key, rules.person[key]); });
    });
    Object.keys(rules.household).forEach(function (name) { run(name, rules.household[name]); });
    if (kept.length > rules.members.max) errors.members = [rules.members.message];
    var found = Object.keys(errors).length ? {} : warnings(pairs, rules, kept, today);
    return { errors: errors, warnings: found, blocks: kept.map(prefix) };
  }

  window.FieldRegCheck = { normalise: normalise, check: check, codeValid: function (t, r) { return codeValid(t, r); } };
})();
