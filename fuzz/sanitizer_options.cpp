// The sanitizers' settings, built into every fuzz target so that running a
// target by hand (to reproduce a crash) behaves as scripts/fuzz.sh does.
//
// UBSan stops at the first report (halt_on_error: libFuzzer then saves the
// input) except for the reports fuzz/ubsan.supp lists, which are in Debian's
// headers, not in leadbase (each entry says why it is harmless). Suppressions
// need UBSan's recoverable mode, hence -fsanitize-recover in fuzz/CMakeLists.txt.
extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:suppressions=" LEADBASE_FUZZ_DIR "/ubsan.supp";
}
