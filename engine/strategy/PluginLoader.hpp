#pragma once
// Loads plugin files on a thread of its own: the file's SHA-256, the approval check against
// <data-dir>/plugins/approved.sha256, dlopen and the plugin's init. None of that file I/O or
// plugin start-up code ever runs on the engine thread; results are handed to a callback that the
// engine posts onto its own thread. Unloading (deinit, dlclose) happens here too.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "strategy/PluginApprovals.hpp"
#include "strategy/PluginModule.hpp"
#include "strategy/StrategyRows.hpp"

namespace kappa {

struct PluginLoadResult {
  std::string path;  // canonical
  std::string sha256, approvedSha256;
  PluginApproval approval = PluginApproval::Unknown;
  std::shared_ptr<PluginModule> module;  // null on failure
  std::string error;
};

class PluginLoader {
 public:
  explicit PluginLoader(std::string dataDir);
  ~PluginLoader();  // finishes queued work, then joins
  PluginLoader(const PluginLoader&) = delete;
  PluginLoader& operator=(const PluginLoader&) = delete;

  // A file seen for the first time is recorded as approved (loading it is the user's approval);
  // one whose hash changed since is refused unless `approve` (the user approved the new binary).
  // `done` runs on the loader thread.
  void load(std::string path, bool approve, std::function<void(PluginLoadResult)> done);
  void unload(std::shared_ptr<PluginModule> module);

  const std::string& pluginsDir() const { return pluginsDir_; }
  // Shared libraries in the plugins folder (any thread: a directory listing, no loading).
  std::vector<std::string> availableFiles() const;
  // "/a/b/../c.so" -> "/a/c.so"; the identity approvals and the host use.
  static std::string canonicalPath(const std::string& path);

 private:
  std::string pluginsDir_;
  std::unique_ptr<PluginApprovals> approvals_;  // loader thread only
  std::map<std::string, std::weak_ptr<PluginModule>> loaded_;  // loader thread only: path -> live module
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

}  // namespace kappa
