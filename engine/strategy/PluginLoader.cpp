#include "strategy/PluginLoader.hpp"

#include <boost/asio/post.hpp>
#include <algorithm>
#include <filesystem>

#include "core/Log.hpp"
#include "strategy/FileHash.hpp"

namespace kappa {

PluginLoader::PluginLoader(std::string dataDir)
    : pluginsDir_((std::filesystem::path(dataDir) / "plugins").string()), work_(boost::asio::make_work_guard(io_)) {
  thread_ = std::thread([this] {
    approvals_ = std::make_unique<PluginApprovals>(pluginsDir_ + "/approved.sha256");
    for (const std::string& e : approvals_->errors()) log::warn("plugins", e);
    io_.run();
  });
}

PluginLoader::~PluginLoader() {
  work_.reset();
  thread_.join();
}

std::string PluginLoader::canonicalPath(const std::string& path) {
  std::error_code ec;
  const auto p = std::filesystem::weakly_canonical(std::filesystem::absolute(path, ec), ec);
  return ec ? path : p.string();
}

std::vector<std::string> PluginLoader::availableFiles() const {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(pluginsDir_, ec))
    if (e.is_regular_file(ec) && e.path().extension() == ".so") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

void PluginLoader::load(std::string path, bool approve, std::function<void(PluginLoadResult)> done) {
  boost::asio::post(io_, [this, path = std::move(path), approve, done = std::move(done)] {
    PluginLoadResult r;
    r.path = canonicalPath(path);
    std::string error;
    r.sha256 = sha256OfFile(r.path, &error);
    if (r.sha256.empty()) {
      r.error = error;
      done(std::move(r));
      return;
    }
    r.approvedSha256 = approvals_->approvedHash(r.path);
    const PluginApprovals::Verdict verdict = approvals_->check(r.path, r.sha256);
    if (verdict == PluginApprovals::Verdict::Changed && !approve) {
      r.approval = PluginApproval::Changed;
      r.error = "the file changed since it was approved (approved SHA-256 " + r.approvedSha256.substr(0, 12) +
                "..., now " + r.sha256.substr(0, 12) + "...): approve the new binary to load it";
      done(std::move(r));
      return;
    }
    if (verdict != PluginApprovals::Verdict::Approved && !approvals_->approve(r.path, r.sha256, &error))
      log::warn("plugins", "approval not saved: " + error);
    r.approval = PluginApproval::Approved;
    r.approvedSha256 = r.sha256;
    // Two loads of one file (two --plugin of it, a double click) share one module: dlopen would
    // return the same image and a second init()/deinit() pair would tear down the first's state.
    if (auto alive = loaded_[r.path].lock(); alive && alive->sha256() == r.sha256) {
      r.module = std::move(alive);
      done(std::move(r));
      return;
    }
    r.module = PluginModule::open(r.path, r.sha256, &r.error);
    if (r.module) {
      loaded_[r.path] = r.module;
      log::info("plugins", "loaded " + r.path + " (SHA-256 " + r.sha256 + ")");
    }
    done(std::move(r));
  });
}

void PluginLoader::unload(std::shared_ptr<PluginModule> module) {
  boost::asio::post(io_, [m = std::move(module)]() mutable {
    const std::string path = m ? m->path() : std::string();
    m.reset();  // the last owner: deinit and dlclose here
    if (!path.empty()) log::info("plugins", "unloaded " + path);
  });
}

}  // namespace kappa
