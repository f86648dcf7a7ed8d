# CPack: `./dev package` makes a .deb. dpkg-shlibdeps fills Depends from the binaries; Qt's
# run-time plugins (platform, sqlite) are loaded dynamically, so they are named by hand.
# One monolithic package: it holds every install component, including `sdk` (strategy headers,
# the KappaSDK CMake package in lib/cmake/KappaSDK, the template in share/kappa/plugin-template;
# see plugins/). If this ever switches to CPACK_DEB_COMPONENT_INSTALL, list `sdk` in
# CPACK_COMPONENTS_ALL (a kappa-sdk package), or plugin authors lose find_package(KappaSDK).
set(CPACK_PACKAGE_NAME "kappa")
set(CPACK_PACKAGE_VENDOR "Kappa")
set(CPACK_PACKAGE_CONTACT "Kappa developers <dev@kappa.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "qt6-qpa-plugins, libqt6sql6-sqlite")
# QtKeychain dlopen()s libsecret for the Secret Service (File → Connections…); a keychain daemon
# itself is the desktop's business, so only recommended.
string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libsecret-1-0")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gnome-keyring | kwalletmanager")
set(CPACK_DEBIAN_PACKAGE_SECTION "misc")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
if(KAPPA_BUILD_UI)
  install(FILES "${CMAKE_CURRENT_LIST_DIR}/kappa.desktop" DESTINATION share/applications)
endif()
include(CPack)
