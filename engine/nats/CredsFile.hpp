#pragma once
// A NATS credentials file (.creds, as nsc writes it: the user's JWT, then the user's NKey seed).
// libnats reads it to sign in; Kappa reads it first for two things only:
//  - that it is private: it holds a private key, so, like ssh with its keys, a file that its group
//    or others may read or write is refused, naming the file;
//  - the user's name, the JWT's `name` claim: Kappa's command subjects (kappa.E.cmd.USER.VERB) and
//    reply inbox (_INBOX.USER) carry it, and the server's permissions for that user are written
//    for those subjects. libnats does not tell the name, so the JWT's payload is decoded here.
// Nothing of the file's content (the seed above all) is ever copied into a message.
#include <string>

namespace kappa::nats {

struct CredsUser {
  std::string name;   // the user JWT's name claim; "" when error is set
  std::string error;  // "" or why the file cannot be used (names the file, never shows its content)
};

CredsUser readCredsUser(const std::string& path);

}  // namespace kappa::nats
