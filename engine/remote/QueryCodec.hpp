#pragma once
// The reads an attached window asks its engine for (kappa.<engine>.query.<user>.<what>, Subjects.hpp)
// and the engine's answers. A request is small JSON text, like a command (readable in a log); an
// answer is MessagePack, like the state parts, and always fits one NATS message: a journal page
// stops at kJournalPageBytes and says `more` (the window asks again past its last row).
//
// Decoding is untrusted input on both ends: a request that is not a JSON object, a field of the
// wrong type, a limit out of range, an oversize or control-character string, or an unknown kind is
// refused with the reason; an answer that is not the expected MessagePack shape is refused with the
// field that was wrong ("rows[3][4]: expected a string, got number").
#include <string>
#include <string_view>
#include <vector>

#include "journal/JournalQuery.hpp"

namespace kappa::remote {

inline constexpr std::uint32_t kMaxJournalPageRows = 20'000;  // the most one request may ask for
inline constexpr std::size_t kJournalPageBytes = 512 * 1024;  // a page's rows, about (NATS' default max payload is 1 MB)
inline constexpr std::size_t kMaxQueryBytes = 16 * 1024;      // a larger request is refused unread
inline constexpr std::size_t kMaxQueryString = 1024;          // a filter's instrument or text

std::string encodeJournalQuery(const JournalQuery& query);
// "" and `out` set, or the reason (`out` untouched).
std::string decodeJournalQuery(std::string_view body, JournalQuery& out);

// A page, or an answer carrying only page.error (a refusal, a journal that cannot be read).
std::string encodeJournalPage(const JournalPage& page);
std::string decodeJournalPage(std::string_view bytes, JournalPage& out);

// The plugins folder's files (paths on the engine's host), or why not.
std::string encodePluginFiles(const std::vector<std::string>& files, const std::string& error);
std::string decodePluginFiles(std::string_view bytes, std::vector<std::string>& files, std::string& error);

}  // namespace kappa::remote
