include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS faye_websocket EXPORT faye-websocket-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/faye DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT faye-websocket-targets NAMESPACE faye::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/faye-websocket)
configure_package_config_file(cmake/faye-websocket-config.cmake.in
  ${PROJECT_BINARY_DIR}/faye-websocket-config.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/faye-websocket)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/faye-websocket-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/faye-websocket-config.cmake
              ${PROJECT_BINARY_DIR}/faye-websocket-config-version.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/faye-websocket)
configure_file(cmake/faye-websocket.pc.in ${PROJECT_BINARY_DIR}/faye-websocket.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/faye-websocket.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
