#pragma once
// [qualification] settings (docs/configuration.md, docs/domain.md "Qualification").
#include <string>
#include <vector>

namespace leadbase {

struct qualification_options {
  std::string disposable_domains_file;       // empty = the built-in list only
  std::vector<std::string> internal_domains;
  std::vector<std::string> served_countries;  // empty = all
  std::string rules_version = "2026-11-01";
};

} // namespace leadbase
