# Ethereum JSON-RPC over HTTP (venue/evm/EthRpc): a blocking client on venue/net's keep-alive
# HttpClient, for I/O threads (the EVM venue's chain side, kappa-exchange --chain, tests). Its own
# small library, included from engine/CMakeLists.txt, next to venue/evm's kappa_evm (encoding and
# signing); the two may become one library later.
find_package(nlohmann_json 3 REQUIRED)
add_library(kappa_evm_rpc STATIC ${CMAKE_CURRENT_LIST_DIR}/EthRpc.cpp)
target_link_libraries(kappa_evm_rpc PUBLIC kappa_venue_net Boost::headers nlohmann_json::nlohmann_json)
