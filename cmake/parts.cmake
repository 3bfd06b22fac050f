# The parts of the kiosk and what each may use: the one table behind docs/architecture.md, enforced twice:
#   - at configure time, kiosk_check_part_links() refuses a part library that links a part it may not;
#   - by the test Architecture.PartsIncludeOnlyWhatTheyMay (cmake/check_includes.cmake), which reads every
#     source under kiosk/<part>/ and refuses an #include of a part or a library the part may not use
#     (a header-only include is invisible to the linker).
# Dependencies point inward: app -> ui, sync -> store, his -> core. The app is the composition root.

set(KIOSK_PARTS core store his sync ui app)

# Parts whose headers a part may include (itself always).
set(KIOSK_PART_USES_core "")
set(KIOSK_PART_USES_store core)
set(KIOSK_PART_USES_his core)
set(KIOSK_PART_USES_sync core store his)
set(KIOSK_PART_USES_ui core)
set(KIOSK_PART_USES_app core store his sync ui)

# Outside libraries a part may include, by family (KIOSK_LIBRARY_<family> lists the header patterns).
set(KIOSK_LIBRARY_sdl "^SDL[^/]*\\.h$")
set(KIOSK_LIBRARY_imgui "^imgui[^/]*\\.h$")
set(KIOSK_LIBRARY_curl "^curl/")
set(KIOSK_LIBRARY_sqlite "^sqlite3\\.h$")
set(KIOSK_LIBRARY_json "^nlohmann/")
set(KIOSK_LIBRARY_toml "^toml\\+\\+/")
set(KIOSK_LIBRARY_spdlog "^spdlog/")
set(KIOSK_LIBRARY_qrencode "^qrencode\\.h$")
set(KIOSK_LIBRARY_utf8proc "^utf8proc\\.h$")
set(KIOSK_LIBRARY_cli11 "^CLI/")
set(KIOSK_LIBRARY_stb "^stb[^/]*\\.h$")
set(KIOSK_LIBRARIES sdl imgui curl sqlite json toml spdlog qrencode utf8proc cli11 stb)

set(KIOSK_PART_LIBRARIES_core utf8proc)              # the domain: pure C++
set(KIOSK_PART_LIBRARIES_store sqlite json)          # SQLite; outbox payloads are JSON
set(KIOSK_PART_LIBRARIES_his curl json)              # FHIR R4 over HTTP (curl only in curl_transport.cpp)
set(KIOSK_PART_LIBRARIES_sync json spdlog)           # orchestration on worker threads, logs for staff
set(KIOSK_PART_LIBRARIES_ui imgui toml qrencode)     # screens, catalogs, QR on screen
set(KIOSK_PART_LIBRARIES_app ${KIOSK_LIBRARIES})     # the shell: SDL, logging, command line, PNG

# Fails the configure step when a part's library links a kiosk part it may not use.
function(kiosk_check_part_links)
  foreach(part IN LISTS KIOSK_PARTS)
    if(NOT TARGET kiosk_${part} OR part STREQUAL "app")
      continue()
    endif()
    get_target_property(direct kiosk_${part} LINK_LIBRARIES)
    get_target_property(interface kiosk_${part} INTERFACE_LINK_LIBRARIES)
    foreach(lib IN LISTS direct interface)
      if(lib MATCHES "kiosk_([a-z]+)" AND CMAKE_MATCH_1 IN_LIST KIOSK_PARTS)
        set(used ${CMAKE_MATCH_1})
        if(NOT used STREQUAL part AND NOT used IN_LIST KIOSK_PART_USES_${part})
          message(FATAL_ERROR "kiosk_${part} links kiosk_${used}, which ${part}/ may not use "
                              "(cmake/parts.cmake, docs/architecture.md)")
        endif()
      endif()
    endforeach()
  endforeach()
endfunction()
