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

# The libraries of each part (kiosk/ui is two: the flow without ImGui, the screens with it).
set(KIOSK_PART_TARGETS_core kiosk_core)
set(KIOSK_PART_TARGETS_store kiosk_store)
set(KIOSK_PART_TARGETS_his kiosk_his)
set(KIOSK_PART_TARGETS_sync kiosk_sync)
set(KIOSK_PART_TARGETS_ui kiosk_flow kiosk_ui)
set(KIOSK_PART_TARGETS_app kiosk_app_lib kiosk_sdl_draw kiosk)

# Fails the configure step when a part's library links a kiosk library of a part it may not use, or a
# part library is missing from the table above.
function(kiosk_check_part_links)
  foreach(part IN LISTS KIOSK_PARTS)
    foreach(target IN LISTS KIOSK_PART_TARGETS_${part})
      if(NOT TARGET ${target})
        message(FATAL_ERROR "cmake/parts.cmake names ${target} for ${part}/, but there is no such target")
      endif()
      set(part_of_${target} ${part})
    endforeach()
  endforeach()
  foreach(part IN LISTS KIOSK_PARTS)
    foreach(target IN LISTS KIOSK_PART_TARGETS_${part})
      get_target_property(direct ${target} LINK_LIBRARIES)
      get_target_property(interface ${target} INTERFACE_LINK_LIBRARIES)
      foreach(lib IN LISTS direct interface)
        string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" lib "${lib}")
        if(NOT lib MATCHES "^kiosk_" OR lib STREQUAL "kiosk_warnings" OR lib STREQUAL "kiosk_sanitize")
          continue()
        endif()
        if(NOT DEFINED part_of_${lib})
          message(FATAL_ERROR "${target} links ${lib}, which cmake/parts.cmake gives to no part")
        endif()
        set(used ${part_of_${lib}})
        if(NOT used STREQUAL part AND NOT used IN_LIST KIOSK_PART_USES_${part})
          message(FATAL_ERROR "${target} (${part}/) links ${lib} (${used}/), which ${part}/ may not use "
                              "(cmake/parts.cmake, docs/architecture.md)")
        endif()
      endforeach()
    endforeach()
  endforeach()
endfunction()
