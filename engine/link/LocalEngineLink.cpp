#include "link/LocalEngineLink.hpp"

namespace kappa {

LocalEngineLink::~LocalEngineLink() = default;

void LocalEngineLink::queryJournal(JournalQuery query, bool latestOnly, std::function<void(JournalPage)> done) {
  if (!journalWorker_) journalWorker_ = std::make_unique<JournalQueryWorker>();
  auto job = [path = journalPath(), query = std::move(query), done = std::move(done)](const JournalCancel& cancelled) {
    JournalPage page = queryJournalFile(path, query, cancelled);
    if (!page.cancelled) done(std::move(page));  // a newer query replaced it, or the link is going away
  };
  if (latestOnly) journalWorker_->latest(std::move(job));
  else journalWorker_->queue(std::move(job));
}

std::string LocalEngineLink::journalPath() const {
  const Journal* journal = engine_.journal();
  return journal ? journal->path() : std::string();
}

// Engine::resume() decides on the caller's thread (atomics only), so the answer is immediate.
void LocalEngineLink::resume(std::function<void(std::string)> done) {
  std::string refused = engine_.resume();
  if (done) done(std::move(refused));
}

}  // namespace kappa
