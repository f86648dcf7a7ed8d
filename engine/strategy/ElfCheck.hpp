#pragma once
// Structural check of a shared object before it is handed to dlopen. The dynamic loader trusts the
// file: it maps every loadable segment to the size the header claims, so a truncated file (an
// interrupted copy, a build still being written) maps pages past the end of the file and the
// first touch of one kills the process with SIGBUS — inside dlopen, in the terminal's process.
// Every offset and size the loader will use is checked against the real file size here, read
// with plain reads (never mapped), so that a damaged file is refused with a reason instead.
#include <string>

namespace kappa {

// "" when `path` is a complete ELF shared library for this process's class and machine: ELF
// header, program header table, every PT_LOAD's file range, the section header table and every
// section's contents inside the file, one PT_DYNAMIC inside a loaded segment, with a terminated
// dynamic array whose string and symbol tables and hash table lie in the loaded file contents.
// Otherwise the reason, e.g. "truncated: loadable segment 2 (bytes 61440..67200) ends past the
// end of the file (60000 bytes)".
std::string checkSharedObject(const std::string& path);

}  // namespace kappa
