#pragma once
// The engine thread's Boost.Asio machinery (Engine::Loop): its io_context, the work guard that
// keeps it running, and the publish and analytics timers. Defined here, not in Engine.hpp, so the
// many files that include Engine.hpp (the GUI, the app, most tests) do not parse Asio's
// io_context, timers and scheduler; only the engine's own .cpp files include this header.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "analytics/AnalyticsWorker.hpp"
#include "orchestrator/Engine.hpp"
#include "strategy/PluginLoader.hpp"

namespace kappa {

struct Engine::Loop {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{boost::asio::make_work_guard(io)};
  boost::asio::steady_timer publishTimer{io};
  boost::asio::steady_timer analyticsTimer{io};
};

}  // namespace kappa
