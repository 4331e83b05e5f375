#include "events/qualification.hpp"

#include <algorithm>
#include <fstream>

namespace leadbase {

namespace {

// -- character helpers (ASCII only, locale-independent on purpose) --------------

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) noexcept { return is_digit(c) || is_alpha(c); }
char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

/// Lower case, without one trailing dot (`example.com.` is the same domain).
std::string normalise_domain(std::string_view d) {
  if (!d.empty() && d.back() == '.') d.remove_suffix(1);
  std::string out(d);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

/// RFC 5322 atext: what a dot-atom local part may hold besides dots.
bool is_atext(char c) noexcept {
  if (is_alnum(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '/': case '=': case '?': case '^': case '_': case '`': case '{': case '|': case '}':
    case '~':
      return true;
    default:
      return false;
  }
}

/// One DNS label: 1-63 letters, digits or hyphens, no hyphen at either end.
bool is_label(std::string_view l) noexcept {
  if (l.empty() || l.size() > 63 || l.front() == '-' || l.back() == '-') return false;
  return std::all_of(l.begin(), l.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

/// Splits on dots and checks every label; `labels` receives how many there were.
bool is_hostname(std::string_view d, size_t& labels) noexcept {
  labels = 0;
  if (d.empty() || d.size() > 253) return false;
  size_t start = 0;
  while (true) {
    size_t dot = d.find('.', start);
    std::string_view label = d.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!is_label(label)) return false;
    ++labels;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::string_view trim(std::string_view s) noexcept {
  const char* ws = " \t\r\n\v\f";
  size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(ws);
  return s.substr(b, e - b + 1);
}

/// Both mod-11 check digits of a CPF or CNPJ. `w1`/`w2` are the weights of the
/// first and second check digit; the digit is 0 when the remainder is under 2.
bool mod11_ok(const std::string& d, const int* w1, size_t n1, const int* w2, size_t n2) noexcept {
  auto check = [&](const int* w, size_t n) {
    int sum = 0;
    for (size_t i = 0; i < n; ++i) sum += (d[i] - '0') * w[i];
    int r = sum % 11;
    return r < 2 ? 0 : 11 - r;
  };
  return check(w1, n1) == d[n1] - '0' && check(w2, n2) == d[n2] - '0';
}

bool all_equal(const std::string& d) noexcept {
  return std::all_of(d.begin(), d.end(), [&](char c) { return c == d.front(); });
}

} // namespace

// -- domain_list ------------------------------------------------------------------

domain_list::domain_list(std::initializer_list<std::string_view> domains) {
  for (auto d : domains) add(d);
}

void domain_list::add(std::string_view domain) {
  std::string d = normalise_domain(domain);
  if (!d.empty()) domains_.insert(std::move(d));
}

void domain_list::merge(const domain_list& other) {
  domains_.insert(other.domains_.begin(), other.domains_.end());
}

bool domain_list::matches(std::string_view domain) const {
  if (domains_.empty()) return false;
  std::string d = normalise_domain(domain);
  // Walk up the parents: a.b.example.com, b.example.com, example.com, com.
  std::string_view rest = d;
  while (!rest.empty()) {
    if (domains_.find(rest) != domains_.end()) return true;
    size_t dot = rest.find('.');
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  return false;
}

domain_list builtin_disposable_domains() {
  // Long-lived, widely known throwaway-mail services. Kept short on purpose:
  // the full, changing lists belong in the configurable file.
  return domain_list{
      "mailinator.com",   "yopmail.com",       "yopmail.fr",        "yopmail.net",
      "guerrillamail.com", "guerrillamail.net", "guerrillamail.org", "guerrillamail.biz",
      "guerrillamail.de", "guerrillamailblock.com", "sharklasers.com", "grr.la",
      "pokemail.net",     "spam4.me",          "10minutemail.com",  "10minutemail.net",
      "temp-mail.org",    "temp-mail.io",      "throwawaymail.com", "trashmail.com",
      "trashmail.de",     "getnada.com",       "dispostable.com",   "maildrop.cc",
      "mailnesia.com",    "fakeinbox.com",     "mohmal.com",        "emailondeck.com",
      "discard.email",    "mailcatch.com",     "mintemail.com",     "tempr.email",
      "burnermail.io",    "mytemp.email",      "moakt.com",         "tempail.com",
      "getairmail.com",   "spamgourmet.com",
  };
}

result<domain_list> load_domain_list(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return error{errc::validation, "cannot read domain list file " + path};
  domain_list list;
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    std::string_view text = line;
    if (line_no == 1 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 BOM
    if (size_t hash = text.find('#'); hash != std::string_view::npos) text = text.substr(0, hash);
    text = trim(text);
    if (text.empty()) continue;
    std::string d = normalise_domain(text);
    size_t labels = 0;
    if (!is_hostname(d, labels))
      return error{errc::validation,
                   path + ":" + std::to_string(line_no) + ": not a domain name: " + std::string(text)};
    list.add(d);
  }
  if (in.bad()) return error{errc::validation, "error reading domain list file " + path};
  return list;
}

result<domain_list> load_disposable_domains(const qualification_options& opts) {
  domain_list list = builtin_disposable_domains();
  if (opts.disposable_domains_file.empty()) return list;
  auto extra = load_domain_list(opts.disposable_domains_file);
  if (!extra) return extra.err();
  list.merge(*extra);
  return list;
}

// -- predicates -------------------------------------------------------------------

bool domain_matches(std::string_view domain, std::string_view listed) noexcept {
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  if (!listed.empty() && listed.back() == '.') listed.remove_suffix(1);
  if (listed.empty() || domain.size() < listed.size()) return false;
  if (!iequals(domain.substr(domain.size() - listed.size()), listed)) return false;
  // Equal, or the match starts right after a dot: `notmailinator.com` is no subdomain.
  return domain.size() == listed.size() || domain[domain.size() - listed.size() - 1] == '.';
}

bool is_valid_email(std::string_view email) noexcept {
  if (email.empty() || email.size() > 254) return false;
  size_t at = email.find('@');
  if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos) return false;
  std::string_view local = email.substr(0, at);
  std::string_view domain = email.substr(at + 1);

  // Local part: dot-atom.
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.') return false;
  for (size_t i = 0; i < local.size(); ++i) {
    char c = local[i];
    if (c == '.') {
      if (local[i + 1] == '.') return false;  // safe: the last char is not a dot
    } else if (!is_atext(c)) {
      return false;
    }
  }

  // Domain: a hostname with at least one dot and a top-level label that has a
  // letter. `[192.0.2.1]` fails the label syntax, `192.0.2.1` the letter rule.
  size_t labels = 0;
  if (!is_hostname(domain, labels) || labels < 2) return false;
  std::string_view tld = domain.substr(domain.rfind('.') + 1);
  return tld.size() >= 2 && std::any_of(tld.begin(), tld.end(), is_alpha);
}

std::string email_domain(std::string_view email) {
  size_t at = email.rfind('@');
  if (at == std::string_view::npos) return {};
  return normalise_domain(email.substr(at + 1));
}

std::string document_digits(std::string_view document) {
  std::string digits;
  digits.reserve(document.size());
  for (char c : document) {
    if (is_digit(c)) digits.push_back(c);
    else if (c != '.' && c != '-' && c != '/') return {};
  }
  return digits;
}

bool is_valid_cpf(std::string_view document) noexcept {
  static constexpr int w1[] = {10, 9, 8, 7, 6, 5, 4, 3, 2};
  static constexpr int w2[] = {11, 10, 9, 8, 7, 6, 5, 4, 3, 2};
  std::string d = document_digits(document);
  if (d.size() != 11 || all_equal(d)) return false;
  return mod11_ok(d, w1, 9, w2, 10);
}

bool is_valid_cnpj(std::string_view document) noexcept {
  static constexpr int w1[] = {5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2};
  static constexpr int w2[] = {6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2};
  std::string d = document_digits(document);
  if (d.size() != 14 || all_equal(d)) return false;
  return mod11_ok(d, w1, 12, w2, 13);
}

bool is_valid_document(std::string_view document) noexcept {
  switch (document_digits(document).size()) {
    case 11: return is_valid_cpf(document);
    case 14: return is_valid_cnpj(document);
    default: return false;
  }
}

bool is_valid_e164_phone(std::string_view phone) noexcept {
  if (phone.size() < 2 || phone.front() != '+') return false;
  std::string_view digits = phone.substr(1);
  if (digits.size() < 8 || digits.size() > 15) return false;
  if (!std::all_of(digits.begin(), digits.end(), is_digit)) return false;
  if (digits.front() == '0') return false;
  if (digits.substr(0, 2) == "55") {
    // Brazil: DDD (two digits, 1-9 each, so 11..99 without 20, 30, ...) and
    // an 8-digit landline or a 9-digit mobile number.
    std::string_view national = digits.substr(2);
    if (national.size() != 10 && national.size() != 11) return false;
    if (national[0] == '0' || national[1] == '0') return false;
  }
  return true;
}

bool has_contact_channel(const signed_up& s) noexcept {
  return s.social.any() || (!s.phone.empty() && is_valid_e164_phone(s.phone));
}

bool is_country_served(std::string_view country, const std::vector<std::string>& served) noexcept {
  if (served.empty()) return true;
  if (country.empty()) return false;
  return std::any_of(served.begin(), served.end(), [&](const std::string& c) { return iequals(c, country); });
}

// -- the rule -------------------------------------------------------------------

qualified qualify(const signed_up& s, const qualification_options& opts, const domain_list& disposable) {
  qualified q;
  q.rules_version = opts.rules_version;
  q.decided_by = "rules";

  const std::string domain = email_domain(s.email);
  if (!is_valid_email(s.email)) q.reasons.emplace_back(reason::invalid_email);
  if (!domain.empty() && disposable.matches(domain)) q.reasons.emplace_back(reason::disposable_email);
  if (!domain.empty() && std::any_of(opts.internal_domains.begin(), opts.internal_domains.end(),
                                     [&](const std::string& d) { return domain_matches(domain, d); }))
    q.reasons.emplace_back(reason::internal_account);
  if (!s.document.empty() && !is_valid_document(s.document)) q.reasons.emplace_back(reason::invalid_document);
  if (!s.phone.empty() && !is_valid_e164_phone(s.phone)) q.reasons.emplace_back(reason::invalid_phone);
  if (!has_contact_channel(s)) q.reasons.emplace_back(reason::no_contact_channel);
  if (!is_country_served(s.country, opts.served_countries)) q.reasons.emplace_back(reason::country_not_served);

  q.result = q.reasons.empty() ? outcome::qualified : outcome::disqualified;
  return q;
}

} // namespace leadbase
