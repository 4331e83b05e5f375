// The qualification rules (docs/domain.md "Qualification"): every predicate at its
// edges, every reason code on and off, the domain lists and their file loader.
#include "events/qualification.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

using namespace leadbase;

namespace {

/// A signup that passes every rule; each test breaks exactly what it tests.
signed_up good_signup() {
  signed_up s;
  s.email = "ana@exemplo.com.br";
  s.name = "Ana Souza";
  s.phone = "+5511912345678";
  s.document = "52998224725";
  s.social.instagram = "anasouza";
  s.country = "BR";
  s.locale = "pt-BR";
  return s;
}

qualification_options default_opts() { return qualification_options{}; }

std::vector<std::string> reasons_of(const signed_up& s, const qualification_options& opts = default_opts(),
                                    const domain_list& disposable = builtin_disposable_domains()) {
  return qualify(s, opts, disposable).reasons;
}

bool has_reason(const qualified& q, const char* code) {
  return std::find(q.reasons.begin(), q.reasons.end(), code) != q.reasons.end();
}

/// A file in the temp directory, removed when the test ends.
struct temp_file {
  std::filesystem::path path;
  explicit temp_file(const std::string& content) {
    static std::atomic<int> counter{0};
    path = std::filesystem::temp_directory_path() /
           ("leadbase-domains-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".txt");
    std::ofstream out(path, std::ios::binary);
    out << content;
  }
  ~temp_file() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

std::string replace_at(std::string s, size_t i, char c) {
  s[i] = c;
  return s;
}

} // namespace

// -- e-mail -------------------------------------------------------------------------

TEST_CASE("valid e-mail addresses", "[qualification][email]") {
  for (const char* e : {
           "ana@exemplo.com.br",
           "Ana.Souza+promo@Example.COM",
           "a@b.co",
           "o'neil@example.ie",
           "user_name-1@sub-domain.example.org",
           "1234@example.com",
           "a!#$%&'*+/=?^_`{|}~-z@example.com",
           "x@xn--80ak6aa92e.com",
           "x@example.xn--p1ai",
           "x@123.example.com",
           "x@example.c0m",
       }) {
    INFO(e);
    CHECK(is_valid_email(e));
  }
  const std::string local64(64, 'a');
  CHECK(is_valid_email(local64 + "@example.com"));
  const std::string label63(63, 'b');
  CHECK(is_valid_email("a@" + label63 + ".com"));
}

TEST_CASE("invalid e-mail addresses", "[qualification][email]") {
  for (const char* e : {
           "",
           "plainaddress",
           "@example.com",
           "ana@",
           "ana@localhost",        // no dot in the domain
           "ana@example",          // no dot in the domain
           "ana@@example.com",
           "ana@ex@ample.com",
           "ana.@example.com",
           ".ana@example.com",
           "an..a@example.com",
           "ana@example..com",
           "ana@.example.com",
           "ana@example.com.",
           "ana@-example.com",
           "ana@example-.com",
           "ana@[192.168.0.1]",    // IP literal
           "ana@192.168.0.1",      // bare IP address
           "ana@123.456",          // numeric top-level label
           "ana@example.c",        // one-letter top-level label
           "ana souza@example.com",
           " ana@example.com",
           "ana@example.com ",
           "ana@exa mple.com",
           "\"ana\"@example.com",  // quoted local part
           "ana(comment)@example.com",
           "jo\xC3\xA3o@example.com",  // non-ASCII local part
           "ana@ex\xC3\xA4mple.com",   // non-ASCII domain
           "ana@exa_mple.com",
           "ana@example.com\n",
       }) {
    INFO(e);
    CHECK_FALSE(is_valid_email(e));
  }
  CHECK_FALSE(is_valid_email(std::string(65, 'a') + "@example.com"));
  CHECK_FALSE(is_valid_email("a@" + std::string(64, 'b') + ".com"));
  // 255 characters in all, every part otherwise fine
  std::string longest = "a@" + std::string(63, 'b') + "." + std::string(63, 'c') + "." + std::string(63, 'd') + "." +
                        std::string(61, 'e');
  REQUIRE(longest.size() == 2 + 63 + 1 + 63 + 1 + 63 + 1 + 61);
  CHECK(is_valid_email(longest.substr(0, longest.size() - 1)));  // 254
  CHECK_FALSE(is_valid_email(longest));                          // 255
  CHECK_FALSE(is_valid_email(longest + "x"));                    // 256
}

TEST_CASE("email_domain takes the lower-cased text after the last @", "[qualification][email]") {
  CHECK(email_domain("Ana@Exemplo.COM.br") == "exemplo.com.br");
  CHECK(email_domain("a@b@Mailinator.com") == "mailinator.com");
  CHECK(email_domain("ana@mailinator.com.") == "mailinator.com");
  CHECK(email_domain("no-at-sign") == "");
  CHECK(email_domain("ana@") == "");
}

// -- domain lists ---------------------------------------------------------------------

TEST_CASE("domain_matches: the domain itself or a subdomain, any case", "[qualification][domains]") {
  CHECK(domain_matches("mailinator.com", "mailinator.com"));
  CHECK(domain_matches("MAILINATOR.COM", "mailinator.com"));
  CHECK(domain_matches("mailinator.com", "MailInator.Com"));
  CHECK(domain_matches("sub.mailinator.com", "mailinator.com"));
  CHECK(domain_matches("a.b.c.mailinator.com", "mailinator.com"));
  CHECK(domain_matches("mailinator.com.", "mailinator.com"));
  CHECK(domain_matches("mailinator.com", "mailinator.com."));
  CHECK_FALSE(domain_matches("notmailinator.com", "mailinator.com"));
  CHECK_FALSE(domain_matches("mailinator.com.br", "mailinator.com"));
  CHECK_FALSE(domain_matches("com", "mailinator.com"));
  CHECK_FALSE(domain_matches("mailinator.co", "mailinator.com"));
  CHECK_FALSE(domain_matches("mailinator.com", ""));
  CHECK_FALSE(domain_matches("", "mailinator.com"));
}

TEST_CASE("domain_list matches by domain and by parent domain", "[qualification][domains]") {
  domain_list list{"Mailinator.com", "corp.example.org."};
  CHECK(list.size() == 2);
  CHECK(list.matches("mailinator.com"));
  CHECK(list.matches("MAILINATOR.COM"));
  CHECK(list.matches("sub.mailinator.com"));
  CHECK(list.matches("deep.sub.mailinator.com"));
  CHECK(list.matches("mailinator.com."));
  CHECK(list.matches("corp.example.org"));
  CHECK(list.matches("x.corp.example.org"));
  CHECK_FALSE(list.matches("example.org"));  // a child on the list says nothing of its parent
  CHECK_FALSE(list.matches("notmailinator.com"));
  CHECK_FALSE(list.matches("mailinator.com.br"));
  CHECK_FALSE(list.matches("com"));
  CHECK_FALSE(list.matches(""));

  domain_list empty;
  CHECK(empty.empty());
  CHECK_FALSE(empty.matches("mailinator.com"));

  list.add("");
  CHECK(list.size() == 2);  // empty input ignored
  list.add("MAILINATOR.COM");
  CHECK(list.size() == 2);  // normalised duplicates collapse

  domain_list other{"yopmail.com"};
  list.merge(other);
  CHECK(list.size() == 3);
  CHECK(list.matches("a.yopmail.com"));
}

TEST_CASE("the built-in disposable list holds the well-known services", "[qualification][domains]") {
  const domain_list builtin = builtin_disposable_domains();
  for (const char* d : {"mailinator.com", "yopmail.com", "guerrillamail.com", "10minutemail.com", "temp-mail.org",
                        "sharklasers.com", "trashmail.com", "maildrop.cc"}) {
    INFO(d);
    CHECK(builtin.matches(d));
  }
  CHECK(builtin.size() >= 10);
  for (const char* d : {"gmail.com", "hotmail.com", "outlook.com", "yahoo.com.br", "uol.com.br", "hotmart.com",
                        "exemplo.com.br"}) {
    INFO(d);
    CHECK_FALSE(builtin.matches(d));
  }
}

TEST_CASE("load_domain_list reads domains, skips comments and blanks", "[qualification][domains][loader]") {
  temp_file f(
      "\xEF\xBB\xBF# disposable providers\n"
      "Throwaway.EXAMPLE\n"
      "\n"
      "   \t\n"
      "  spaced.example  \n"
      "crlf.example\r\n"
      "trailing.example # a trailing comment\n"
      "#commented.example\n"
      "dotted.example.\n"
      "single-label\n"
      "last.example");  // no final newline
  auto list = load_domain_list(f.path.string());
  REQUIRE(list.ok());
  CHECK(list->size() == 7);
  CHECK(list->matches("throwaway.example"));
  CHECK(list->matches("sub.throwaway.example"));
  CHECK(list->matches("spaced.example"));
  CHECK(list->matches("crlf.example"));
  CHECK(list->matches("trailing.example"));
  CHECK(list->matches("dotted.example"));
  CHECK(list->matches("single-label"));
  CHECK(list->matches("last.example"));
  CHECK_FALSE(list->matches("commented.example"));
  CHECK_FALSE(list->matches("mailinator.com"));  // only the file, not the built-in list
}

TEST_CASE("load_domain_list accepts an empty file", "[qualification][domains][loader]") {
  temp_file f("# nothing yet\n\n");
  auto list = load_domain_list(f.path.string());
  REQUIRE(list.ok());
  CHECK(list->empty());
}

TEST_CASE("load_domain_list refuses a missing file", "[qualification][domains][loader]") {
  auto list = load_domain_list("/nonexistent/leadbase/domains.txt");
  REQUIRE_FALSE(list.ok());
  CHECK(list.err().code == errc::validation);
  CHECK(list.err().message.find("/nonexistent/leadbase/domains.txt") != std::string::npos);
}

TEST_CASE("load_domain_list refuses a line that is no domain, naming the line", "[qualification][domains][loader]") {
  for (const char* bad : {"two words.example", "under_score.example", "-lead.example", "trail-.example",
                          "double..dot.example", "user@mailinator.com", "*.wild.example", "http://x.example"}) {
    INFO(bad);
    temp_file f(std::string("ok.example\n# comment\n") + bad + "\n");
    auto list = load_domain_list(f.path.string());
    REQUIRE_FALSE(list.ok());
    CHECK(list.err().code == errc::validation);
    CHECK(list.err().message.find(":3:") != std::string::npos);
  }
}

TEST_CASE("load_disposable_domains: built-in list, extended by the file", "[qualification][domains][loader]") {
  qualification_options opts;
  auto builtin_only = load_disposable_domains(opts);
  REQUIRE(builtin_only.ok());
  CHECK(builtin_only->matches("mailinator.com"));
  CHECK_FALSE(builtin_only->matches("throwaway.example"));

  temp_file f("throwaway.example\n");
  opts.disposable_domains_file = f.path.string();
  auto extended = load_disposable_domains(opts);
  REQUIRE(extended.ok());
  CHECK(extended->matches("mailinator.com"));
  CHECK(extended->matches("throwaway.example"));
  CHECK(extended->size() == builtin_only->size() + 1);

  opts.disposable_domains_file = "/nonexistent/leadbase/domains.txt";
  auto missing = load_disposable_domains(opts);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.err().code == errc::validation);
}

// -- documents ------------------------------------------------------------------------

TEST_CASE("valid CPFs", "[qualification][document]") {
  for (const char* cpf : {"52998224725", "11144477735", "12345678909", "39053344705", "00000000191", "98765432100",
                          "01234567890", "94208093900", "92244696200", "529.982.247-25", "111.444.777-35",
                          "529982247-25", "529/982/247/25"}) {
    INFO(cpf);
    CHECK(is_valid_cpf(cpf));
    CHECK(is_valid_document(cpf));
    CHECK_FALSE(is_valid_cnpj(cpf));
  }
}

TEST_CASE("invalid CPFs", "[qualification][document]") {
  for (const char* cpf : {"52998224724", "52998224715", "11144477736", "12345678900", "1234567890",
                          "123456789012", "5299822472", "529982247255", "", "529 982 247 25", "529.982.247-2X",
                          "52998224725 ", "+52998224725", "abcdefghijk"}) {
    INFO(cpf);
    CHECK_FALSE(is_valid_cpf(cpf));
  }
  for (char d = '0'; d <= '9'; ++d) {  // all-equal digits pass the arithmetic but are no CPF
    const std::string same(11, d);
    INFO(same);
    CHECK_FALSE(is_valid_cpf(same));
    CHECK_FALSE(is_valid_document(same));
  }
}

TEST_CASE("a CPF with any single digit changed or two neighbours swapped is invalid", "[qualification][document]") {
  for (std::string cpf : {"52998224725", "11144477735"}) {
    REQUIRE(is_valid_cpf(cpf));
    for (size_t i = 0; i < cpf.size(); ++i) {
      for (char d = '0'; d <= '9'; ++d) {
        if (d == cpf[i]) continue;
        const std::string mutated = replace_at(cpf, i, d);
        INFO(mutated);
        CHECK_FALSE(is_valid_cpf(mutated));
      }
      if (i + 1 < cpf.size() && cpf[i] != cpf[i + 1]) {
        std::string swapped = cpf;
        std::swap(swapped[i], swapped[i + 1]);
        INFO(swapped);
        CHECK_FALSE(is_valid_cpf(swapped));
      }
    }
  }
}

TEST_CASE("valid CNPJs", "[qualification][document]") {
  for (const char* cnpj : {"11222333000181", "11444777000161", "00000000000191", "33000167000101",
                           "60746948000112", "12345678000195", "45997418000153", "11.222.333/0001-81",
                           "33.000.167/0001-01"}) {
    INFO(cnpj);
    CHECK(is_valid_cnpj(cnpj));
    CHECK(is_valid_document(cnpj));
    CHECK_FALSE(is_valid_cpf(cnpj));
  }
}

TEST_CASE("invalid CNPJs", "[qualification][document]") {
  for (const char* cnpj : {"11222333000180", "11222333000191", "11444777000162", "1122233300018",
                           "112223330001811", "11.222.333/0001-8X", "11 222 333 0001 81", ""}) {
    INFO(cnpj);
    CHECK_FALSE(is_valid_cnpj(cnpj));
  }
  for (char d = '0'; d <= '9'; ++d) {
    const std::string same(14, d);
    INFO(same);
    CHECK_FALSE(is_valid_cnpj(same));
    CHECK_FALSE(is_valid_document(same));
  }
}

TEST_CASE("a CNPJ with any single digit changed or two neighbours swapped is invalid", "[qualification][document]") {
  for (std::string cnpj : {"11222333000181", "11444777000161"}) {
    REQUIRE(is_valid_cnpj(cnpj));
    for (size_t i = 0; i < cnpj.size(); ++i) {
      for (char d = '0'; d <= '9'; ++d) {
        if (d == cnpj[i]) continue;
        const std::string mutated = replace_at(cnpj, i, d);
        INFO(mutated);
        CHECK_FALSE(is_valid_cnpj(mutated));
      }
      if (i + 1 < cnpj.size() && cnpj[i] != cnpj[i + 1]) {
        std::string swapped = cnpj;
        std::swap(swapped[i], swapped[i + 1]);
        INFO(swapped);
        CHECK_FALSE(is_valid_cnpj(swapped));
      }
    }
  }
}

TEST_CASE("documents of any other length are invalid", "[qualification][document]") {
  for (size_t n : {1u, 9u, 10u, 12u, 13u, 15u, 18u}) {
    const std::string digits = std::string(n - 1, '1') + "2";
    INFO(digits);
    CHECK_FALSE(is_valid_document(digits));
  }
}

TEST_CASE("document_digits strips . - / and refuses anything else", "[qualification][document]") {
  CHECK(document_digits("529.982.247-25") == "52998224725");
  CHECK(document_digits("11.222.333/0001-81") == "11222333000181");
  CHECK(document_digits("52998224725") == "52998224725");
  CHECK(document_digits("529 982") == "");
  CHECK(document_digits("529,982") == "");
  CHECK(document_digits("CPF52998224725") == "");
  CHECK(document_digits("") == "");
}

// -- phones ---------------------------------------------------------------------------

TEST_CASE("valid E.164 phones", "[qualification][phone]") {
  for (const char* p : {"+5511912345678",  // São Paulo mobile, 9 digits
                        "+551132345678",   // São Paulo landline, 8 digits
                        "+5599912345678",  // DDD 99
                        "+5521987654321", "+14155552671", "+442079460000", "+351912345678",
                        "+12345678",         // 8 digits, the minimum
                        "+123456789012345",  // 15 digits, the maximum
                        "+5411123456789"}) {
    INFO(p);
    CHECK(is_valid_e164_phone(p));
  }
}

TEST_CASE("invalid E.164 phones", "[qualification][phone]") {
  for (const char* p : {"",
                        "+",
                        "+1234567",          // 7 digits
                        "+1234567890123456",  // 16 digits
                        "5511912345678",     // no +
                        "++5511912345678",
                        "+55 11 91234-5678",  // formatting is not E.164
                        "+55(11)912345678",
                        "+55-11-912345678",
                        "+5511912345678 ",
                        " +5511912345678",
                        "+0123456789",       // no country code starts with 0
                        "+55119123456789",   // Brazil: 12 national digits
                        "+55119123456",      // Brazil: DDD + 7 digits
                        "+5501912345678",    // DDD 01
                        "+5510912345678",    // DDD 10
                        "+5520912345678",    // DDD 20
                        "+5590912345678",    // DDD 90
                        "+5505912345678",    // DDD 05
                        "+55119123a5678", "tel:+5511912345678", "+55 ", "+\xEF\xBC\x95\xEF\xBC\x95"}) {
    INFO(p);
    CHECK_FALSE(is_valid_e164_phone(p));
  }
}

TEST_CASE("every Brazilian DDD without a 0 digit is accepted, every other is refused", "[qualification][phone]") {
  for (int ddd = 0; ddd <= 99; ++ddd) {
    char buf[3];
    buf[0] = char('0' + ddd / 10);
    buf[1] = char('0' + ddd % 10);
    buf[2] = 0;
    const std::string mobile = std::string("+55") + buf + "912345678";
    const std::string landline = std::string("+55") + buf + "32345678";
    const bool expect = ddd / 10 != 0 && ddd % 10 != 0;
    INFO(mobile);
    CHECK(is_valid_e164_phone(mobile) == expect);
    CHECK(is_valid_e164_phone(landline) == expect);
  }
}

// -- contact channel and country ------------------------------------------------------

TEST_CASE("has_contact_channel: a valid phone or any handle", "[qualification][contact]") {
  signed_up s;
  CHECK_FALSE(has_contact_channel(s));
  s.phone = "+5511912345678";
  CHECK(has_contact_channel(s));
  s.phone = "11 91234-5678";  // present but invalid: no channel by itself
  CHECK_FALSE(has_contact_channel(s));
  s.social.instagram = "ana";
  CHECK(has_contact_channel(s));
  s.social = {};
  s.social.youtube = "@ana";
  CHECK(has_contact_channel(s));
  s.social = {};
  s.social.tiktok = "ana";
  CHECK(has_contact_channel(s));
}

TEST_CASE("is_country_served: empty list serves all, otherwise case-insensitive membership",
          "[qualification][country]") {
  CHECK(is_country_served("BR", {}));
  CHECK(is_country_served("", {}));
  const std::vector<std::string> served{"BR", "pt", "Mx"};
  CHECK(is_country_served("BR", served));
  CHECK(is_country_served("br", served));
  CHECK(is_country_served("PT", served));
  CHECK(is_country_served("mX", served));
  CHECK_FALSE(is_country_served("US", served));
  CHECK_FALSE(is_country_served("", served));
  CHECK_FALSE(is_country_served("BRA", served));
  CHECK_FALSE(is_country_served("B", served));
}

// -- qualify: every reason on and off -------------------------------------------------

TEST_CASE("a signup that breaks no rule is qualified", "[qualification]") {
  qualification_options opts;
  opts.rules_version = "2026-11-01";
  const qualified q = qualify(good_signup(), opts, builtin_disposable_domains());
  CHECK(q.result == outcome::qualified);
  CHECK(q.reasons.empty());
  CHECK(q.rules_version == "2026-11-01");
  CHECK(q.decided_by == "rules");
}

TEST_CASE("the rules version comes from the options", "[qualification]") {
  qualification_options opts;
  opts.rules_version = "2027-01-15";
  CHECK(qualify(good_signup(), opts, {}).rules_version == "2027-01-15");
}

TEST_CASE("reason invalid_email", "[qualification]") {
  signed_up s = good_signup();
  s.email = "ana@localhost";
  CHECK(reasons_of(s) == std::vector<std::string>{"invalid_email"});
  s.email = "ana@[10.0.0.1]";
  CHECK(reasons_of(s) == std::vector<std::string>{"invalid_email"});
  s.email = "";
  CHECK(reasons_of(s) == std::vector<std::string>{"invalid_email"});
  s.email = "Ana.Souza@Exemplo.com.br";
  CHECK(reasons_of(s).empty());
}

TEST_CASE("reason disposable_email, by domain and by parent domain", "[qualification]") {
  signed_up s = good_signup();
  for (const char* e : {"ana@mailinator.com", "ana@MAILINATOR.COM", "ana@sub.mailinator.com", "ana@yopmail.com",
                        "ana@guerrillamail.com", "ana@10minutemail.com", "ana@temp-mail.org"}) {
    INFO(e);
    s.email = e;
    const qualified q = qualify(s, default_opts(), builtin_disposable_domains());
    CHECK(q.result == outcome::disqualified);
    CHECK(q.reasons == std::vector<std::string>{"disposable_email"});
  }
  s.email = "ana@notmailinator.com";
  CHECK(reasons_of(s).empty());
  // The list passed in decides, not a global: an empty list flags nothing.
  s.email = "ana@mailinator.com";
  CHECK(qualify(s, default_opts(), domain_list{}).reasons.empty());
  CHECK(reasons_of(s, default_opts(), domain_list{"exemplo.com.br"}).empty());
  s.email = "ana@exemplo.com.br";
  CHECK(reasons_of(s, default_opts(), domain_list{"exemplo.com.br"}) == std::vector<std::string>{"disposable_email"});
}

TEST_CASE("a malformed address on a disposable domain carries both reasons", "[qualification]") {
  signed_up s = good_signup();
  s.email = "ana souza@mailinator.com";
  CHECK(reasons_of(s) == std::vector<std::string>{"invalid_email", "disposable_email"});
}

TEST_CASE("reason internal_account, by domain and parent, any case", "[qualification]") {
  qualification_options opts;
  opts.internal_domains = {"Hotmart.com", "test.example"};
  signed_up s = good_signup();
  for (const char* e : {"dev@hotmart.com", "dev@HOTMART.COM", "qa@staging.hotmart.com", "bot@test.example"}) {
    INFO(e);
    s.email = e;
    CHECK(reasons_of(s, opts) == std::vector<std::string>{"internal_account"});
  }
  for (const char* e : {"ana@nothotmart.com", "ana@hotmart.com.br", "ana@example"}) {
    INFO(e);
    s.email = e;
    CHECK_FALSE(has_reason(qualify(s, opts, builtin_disposable_domains()), reason::internal_account));
  }
  s.email = "dev@hotmart.com";
  CHECK(reasons_of(s, default_opts()).empty());  // no internal list configured
}

TEST_CASE("reason invalid_document, only when a document is present", "[qualification]") {
  signed_up s = good_signup();
  s.document = "52998224724";
  CHECK(reasons_of(s) == std::vector<std::string>{"invalid_document"});
  s.document = "11111111111";
  CHECK(reasons_of(s) == std::vector<std::string>{"invalid_document"});
  s.document = "11222333000180";
  CHECK(reasons_of(s) == std::vector<std::string>{"invalid_document"});
  s.document = "123456";
  CHECK(reasons_of(s) == std::vector<std::string>{"invalid_document"});
  s.document = "529.982.247-25";
  CHECK(reasons_of(s).empty());
  s.document = "11.222.333/0001-81";
  CHECK(reasons_of(s).empty());
  s.document = "";
  CHECK(reasons_of(s).empty());
}

TEST_CASE("reason invalid_phone, only when a phone is present", "[qualification]") {
  signed_up s = good_signup();
  s.phone = "11 91234-5678";
  CHECK(reasons_of(s) == std::vector<std::string>{"invalid_phone"});  // the handle still reaches the lead
  s.phone = "+5510912345678";
  CHECK(reasons_of(s) == std::vector<std::string>{"invalid_phone"});
  s.phone = "";
  CHECK(reasons_of(s).empty());
  s.phone = "+14155552671";
  CHECK(reasons_of(s).empty());
}

TEST_CASE("reason no_contact_channel", "[qualification]") {
  signed_up s = good_signup();
  s.social = {};
  CHECK(reasons_of(s).empty());  // the valid phone is a channel
  s.phone = "";
  CHECK(reasons_of(s) == std::vector<std::string>{"no_contact_channel"});
  s.phone = "not a phone";
  CHECK(reasons_of(s) == std::vector<std::string>{"invalid_phone", "no_contact_channel"});
  s.phone = "";
  s.social.tiktok = "ana";
  CHECK(reasons_of(s).empty());  // any handle counts, TikTok too
  s.social = {};
  s.social.youtube = "@ana";
  CHECK(reasons_of(s).empty());
}

TEST_CASE("reason country_not_served", "[qualification]") {
  qualification_options opts;
  opts.served_countries = {"BR", "PT"};
  signed_up s = good_signup();
  CHECK(reasons_of(s, opts).empty());
  s.country = "br";
  CHECK(reasons_of(s, opts).empty());
  s.country = "US";
  CHECK(reasons_of(s, opts) == std::vector<std::string>{"country_not_served"});
  s.country = "";  // unknown country is not in a configured list
  CHECK(reasons_of(s, opts) == std::vector<std::string>{"country_not_served"});
  CHECK(reasons_of(s, default_opts()).empty());  // no list: every country is served
}

TEST_CASE("every reason at once, in the documented order", "[qualification]") {
  qualification_options opts;
  opts.internal_domains = {"mailinator.com"};  // also internal, to hit both domain rules
  opts.served_countries = {"BR"};
  signed_up s;
  s.email = "bad address@sub.mailinator.com";
  s.name = "X";
  s.phone = "12345";
  s.document = "11111111111";
  s.country = "US";
  const qualified q = qualify(s, opts, builtin_disposable_domains());
  CHECK(q.result == outcome::disqualified);
  CHECK(q.reasons == std::vector<std::string>{"invalid_email", "disposable_email", "internal_account",
                                              "invalid_document", "invalid_phone", "no_contact_channel",
                                              "country_not_served"});
  REQUIRE(q.reasons.size() == std::size(all_reasons));
  for (size_t i = 0; i < q.reasons.size(); ++i) CHECK(q.reasons[i] == all_reasons[i]);
  CHECK(q.decided_by == "rules");
}

TEST_CASE("qualify is deterministic", "[qualification]") {
  signed_up s = good_signup();
  s.email = "x@yopmail.com";
  s.phone = "+5500000000000";
  const auto a = qualify(s, default_opts(), builtin_disposable_domains());
  const auto b = qualify(s, default_opts(), builtin_disposable_domains());
  CHECK(a.reasons == b.reasons);
  CHECK(a.result == b.result);
  CHECK(a.reasons == std::vector<std::string>{"disposable_email", "invalid_phone"});
}
