# Embeds a text file of the repository (docs/openapi.json, web/console.html) in
# the binary at build time, so that the file stays the one source of truth and
# no generated C++ is committed.
#
#   include(cmake/embed_text.cmake)
#   leadbase_embed_text(<target> <file relative to the source dir> <qualified function>)
#
# adds to <target> a source generated into the build directory that defines
#   std::string_view <namespace>::<name>() noexcept
# whose bytes are the file's, byte for byte (any byte: every one is written as a
# \xNN escape, so no raw-string delimiter or encoding can break the literal). A
# NUL follows the last byte, so data() is also a C string. The source is written
# again whenever the file changes.
#
# The same file is the generator: the build runs it in script mode
# (cmake -DEMBED_INPUT=... -DEMBED_OUTPUT=... -DEMBED_FUNCTION=... -P embed_text.cmake).

if(CMAKE_SCRIPT_MODE_FILE)
  if(NOT EMBED_FUNCTION MATCHES "^([A-Za-z_][A-Za-z_0-9]*(::[A-Za-z_][A-Za-z_0-9]*)*)::([A-Za-z_][A-Za-z_0-9]*)$")
    message(FATAL_ERROR "embed_text: EMBED_FUNCTION must be namespace::name, not '${EMBED_FUNCTION}'")
  endif()
  set(namespace "${CMAKE_MATCH_1}")
  set(name "${CMAKE_MATCH_3}")
  file(READ "${EMBED_INPUT}" hex HEX)
  # 32 hex digits (16 bytes) a line, each byte a \xNN escape, each line a string
  # literal: adjacent literals are one array.
  string(REPEAT "[0-9a-f]" 32 sixteen_bytes)
  string(REGEX REPLACE "(${sixteen_bytes})" "\\1\n" hex "${hex}")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" escaped "${hex}")
  string(REGEX REPLACE "\n$" "" escaped "${escaped}")
  string(REPLACE "\n" "\"\n    \"" escaped "${escaped}")
  file(RELATIVE_PATH shown "${EMBED_SOURCE_DIR}" "${EMBED_INPUT}")
  set(text "// GENERATED at build time from ${shown} by cmake/embed_text.cmake: edit that file.
#include <string_view>

namespace ${namespace} {
namespace {

constexpr char bytes[] =
    \"${escaped}\";

}  // namespace

std::string_view ${name}() noexcept { return {bytes, sizeof(bytes) - 1}; }

}  // namespace ${namespace}
")
  file(WRITE "${EMBED_OUTPUT}" "${text}")
  return()
endif()

set(LEADBASE_EMBED_TEXT_SCRIPT "${CMAKE_CURRENT_LIST_FILE}")

function(leadbase_embed_text target file function)
  string(REGEX REPLACE "[^A-Za-z0-9_]" "_" stem "${file}")
  set(out "${CMAKE_BINARY_DIR}/generated/embedded/${target}_${stem}.cpp")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DEMBED_INPUT=${CMAKE_SOURCE_DIR}/${file} -DEMBED_OUTPUT=${out}
            -DEMBED_FUNCTION=${function} -DEMBED_SOURCE_DIR=${CMAKE_SOURCE_DIR} -P ${LEADBASE_EMBED_TEXT_SCRIPT}
    DEPENDS "${CMAKE_SOURCE_DIR}/${file}" "${LEADBASE_EMBED_TEXT_SCRIPT}"
    COMMENT "embed ${file}"
    VERBATIM)
  target_sources(${target} PRIVATE "${out}")
endfunction()
