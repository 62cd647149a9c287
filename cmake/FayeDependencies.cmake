# Dependencies are Debian packages (see scripts/deps); each is found the way its
# package ships it.
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(ZLIB REQUIRED)

find_path(HTTP_PARSER_INCLUDE_DIR http_parser.h REQUIRED)
find_library(HTTP_PARSER_LIBRARY NAMES http_parser REQUIRED)
add_library(faye_http_parser INTERFACE)
target_include_directories(faye_http_parser INTERFACE ${HTTP_PARSER_INCLUDE_DIR})
target_link_libraries(faye_http_parser INTERFACE ${HTTP_PARSER_LIBRARY})

find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
add_library(faye_asio INTERFACE)
target_include_directories(faye_asio INTERFACE ${ASIO_INCLUDE_DIR})
# Standalone Asio, no Boost; no deprecated names.
target_compile_definitions(faye_asio INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED)
