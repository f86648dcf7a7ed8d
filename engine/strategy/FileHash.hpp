#pragma once
// SHA-256 of a file, through OpenSSL's EVP digests: the identity of a plugin binary that the user
// approved. Read off the engine thread (it is file I/O).
#include <string>

namespace kappa {

// Lowercase hex digest, or an empty string with `error` set (unreadable file, I/O error).
std::string sha256OfFile(const std::string& path, std::string* error);

}  // namespace kappa
