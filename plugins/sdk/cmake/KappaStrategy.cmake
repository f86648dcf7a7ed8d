# kappa_add_strategy(<target> SOURCES <src>... [LIBRARIES <lib>...])
#
# A strategy plugin: a MODULE library (dlopen'ed, never linked against) named exactly <target>
# plus the platform suffix (my_strategy.so, no "lib" prefix), C++17 or newer, linked to
# Kappa::sdk, with every symbol hidden except the one KAPPA_PLUGIN_ENTRY() exports.
#
# Hidden visibility is not cosmetic: without it GCC gives the inline statics of strategy.hpp
# (the strategy registry) STB_GNU_UNIQUE binding, so two plugins loaded into one terminal would
# share one registry and neither could be unloaded.
#
# On Linux the plugin is linked with -Wl,--no-undefined; set KAPPA_ALLOW_UNDEFINED to ON to drop
# it (e.g. for clang's sanitizers, whose runtime only the executable links).
include_guard(GLOBAL)

function(kappa_add_strategy target)
  cmake_parse_arguments(PARSE_ARGV 1 KAS "" "" "SOURCES;LIBRARIES")
  if(NOT KAS_SOURCES)
    message(FATAL_ERROR "kappa_add_strategy(${target}): no SOURCES given")
  endif()
  if(KAS_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kappa_add_strategy(${target}): unexpected arguments ${KAS_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET Kappa::sdk)
    message(FATAL_ERROR "kappa_add_strategy(${target}): Kappa::sdk is not defined: find_package(KappaSDK) first")
  endif()
  add_library(${target} MODULE ${KAS_SOURCES})
  target_link_libraries(${target} PRIVATE Kappa::sdk ${KAS_LIBRARIES})
  target_compile_features(${target} PRIVATE cxx_std_17)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    # Export kappa_strategy_entry and nothing else. Visibility alone leaves libstdc++'s inline
    # statics (namespace std has default visibility) exported as unique symbols, which also
    # makes the library impossible to unload.
    set(map "${CMAKE_CURRENT_BINARY_DIR}/${target}.exports.map")
    set(exports "{\n  global: kappa_strategy_entry;\n  local: *;\n};\n")
    set(old "")
    if(EXISTS "${map}")
      file(READ "${map}" old)
    endif()
    if(NOT old STREQUAL exports)  # rewritten only when it changes: no relink on every configure
      file(WRITE "${map}" "${exports}")
    endif()
    target_link_options(${target} PRIVATE "LINKER:--version-script=${map}")
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${map}")
    # The host resolves nothing for a plugin: every service comes through kappa_host. Fail at
    # link time, not at dlopen time, if the plugin references a symbol nobody provides.
    if(NOT KAPPA_ALLOW_UNDEFINED)
      target_link_options(${target} PRIVATE "LINKER:--no-undefined")
    endif()
  endif()
endfunction()
