#pragma once
// Initial qualification (docs/domain.md "Qualification"): the rules that turn a
// `signed_up` into a `qualified` payload with reason codes.
//
// Everything here is a pure function of its arguments (no clock, no logging)
// except `load_domain_list`, which reads the disposable-domain file once at
// start-up. The lead actor calls `qualify`; the predicates are exported so the
// HTTP layer, the importer and the tests apply exactly the same definitions.
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "events/errc.hpp"
#include "events/event.hpp"
#include "events/qualification_options.hpp"

namespace leadbase {

// -- reason codes ---------------------------------------------------------------

/// The reason codes of docs/domain.md, spelled as they are stored in `qualified`.
namespace reason {
inline constexpr const char* invalid_email = "invalid_email";
inline constexpr const char* disposable_email = "disposable_email";
inline constexpr const char* internal_account = "internal_account";
inline constexpr const char* invalid_document = "invalid_document";
inline constexpr const char* invalid_phone = "invalid_phone";
inline constexpr const char* no_contact_channel = "no_contact_channel";
inline constexpr const char* country_not_served = "country_not_served";
} // namespace reason

/// Every reason code, in the order `qualify` reports them (the docs/domain.md table
/// order). A stable order makes two runs of the same rules byte-identical,
/// which the hash chain and auditors comparing rule versions rely on.
inline constexpr const char* all_reasons[] = {
    reason::invalid_email,  reason::disposable_email,   reason::internal_account,
    reason::invalid_document, reason::invalid_phone, reason::no_contact_channel,
    reason::country_not_served,
};

// -- domain lists ---------------------------------------------------------------

/// A set of e-mail domains, matched case-insensitively by the domain itself or
/// any parent domain: a list holding `mailinator.com` matches
/// `mailinator.com`, `MAILINATOR.COM` and `eu.sub.mailinator.com`, but not
/// `notmailinator.com`. Disposable providers hand out subdomains freely, so
/// exact matching alone would be trivially bypassed.
class domain_list {
 public:
  domain_list() = default;
  domain_list(std::initializer_list<std::string_view> domains);

  /// Adds one domain; it is lower-cased and a trailing dot is dropped.
  /// Empty input is ignored.
  void add(std::string_view domain);
  /// Adds every domain of `other`.
  void merge(const domain_list& other);

  /// True when `domain` or one of its parent domains is on the list.
  bool matches(std::string_view domain) const;

  size_t size() const noexcept { return domains_.size(); }
  bool empty() const noexcept { return domains_.empty(); }

 private:
  std::set<std::string, std::less<>> domains_;  // normalised: lower case, no trailing dot
};

/// The short list that ships with the binary: well-known disposable-mail
/// providers (mailinator.com, yopmail.com, guerrillamail.com, 10minutemail.com,
/// temp-mail.org and a few more).
domain_list builtin_disposable_domains();

/// Reads a domain file: one domain per line; `#` starts a comment (whole line
/// or trailing); blank lines, surrounding whitespace and CRLF endings are fine.
/// A line that is not a plausible domain name is an error naming the line, so a
/// broken file stops start-up instead of silently matching nothing.
/// Errors: errc::validation (unreadable file, bad line).
result<domain_list> load_domain_list(const std::string& path);

/// The disposable list in force: the built-in list, plus the file's domains
/// when `opts.disposable_domains_file` is set (the file extends the default,
/// it does not replace it). Errors as load_domain_list.
result<domain_list> load_disposable_domains(const qualification_options& opts);

// -- predicates -------------------------------------------------------------------

/// True when `domain` equals `listed` or is a subdomain of it, ignoring case.
bool domain_matches(std::string_view domain, std::string_view listed) noexcept;

/// A deliverable-looking address: one `@`; a dot-atom local part of 1-64 ASCII
/// characters; a domain of at least two dot-separated labels (letters, digits,
/// inner hyphens, 1-63 each) whose top-level label has a letter (so no IP
/// address, and no `[1.2.3.4]` literal); at most 254 characters in all. Quoted
/// local parts, comments, whitespace and non-ASCII addresses are refused: no
/// SDR can reach a lead through them in practice.
bool is_valid_email(std::string_view email) noexcept;

/// The lower-cased text after the last `@`, without a trailing dot; empty when
/// there is no `@`. Used for the domain-list checks.
std::string email_domain(std::string_view email);

/// The document with the punctuation people type (`.`, `-`, `/`) removed.
/// Any other non-digit character makes the result empty (not a document).
std::string document_digits(std::string_view document);

/// CPF: 11 digits (punctuation as in document_digits allowed), both mod-11
/// check digits right, not all digits equal.
bool is_valid_cpf(std::string_view document) noexcept;

/// CNPJ: 14 digits (punctuation allowed), both mod-11 check digits right
/// (weights 5..2,9..2 and 6..2,9..2), not all digits equal.
bool is_valid_cnpj(std::string_view document) noexcept;

/// A CPF when it has 11 digits, a CNPJ when it has 14; anything else is invalid.
bool is_valid_document(std::string_view document) noexcept;

/// E.164: `+`, then 8-15 digits, the first not 0 (no country code starts with
/// 0); no spaces or punctuation. For Brazil (`+55`): a two-digit area code
/// (DDD, 11-99, neither digit 0) and an 8- or 9-digit subscriber number.
bool is_valid_e164_phone(std::string_view phone) noexcept;

/// A valid phone or at least one social handle: some way for a team to reach
/// the creator beyond e-mail.
bool has_contact_channel(const signed_up& s) noexcept;

/// True when `served` is empty (all countries served) or holds `country`,
/// ignoring case. An absent country is not in a non-empty list.
bool is_country_served(std::string_view country, const std::vector<std::string>& served) noexcept;

// -- the rule -------------------------------------------------------------------

/// Applies every rule to a signup. The payload lists every reason that applies
/// (not just the first), in the order of `all_reasons`; the outcome is
/// `disqualified` exactly when there is a reason. `rules_version` comes from
/// the options, `decided_by` is "rules".
///
/// The domain checks (disposable, internal) look at the text after the `@`
/// even when the address is otherwise invalid, so `a b@mailinator.com` carries
/// both `invalid_email` and `disposable_email`.
qualified qualify(const signed_up& s, const qualification_options& opts, const domain_list& disposable);

} // namespace leadbase
