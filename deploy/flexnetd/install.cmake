# install.cmake — `cmake --install` layout (included from the top-level
# CMakeLists.txt):
#   bin/         flexnet, flexnetd, flexnet-sim
#   share/man/   flexnet(1), flexnetd(8)
#   share/flexnet/proto/  flexnet/v1/flexnet.proto, health.proto
#   lib/libflexnet.a, include/flexnet/*.h, lib/pkgconfig/flexnet.pc:
#                the embeddable library (engine, vendor profiles, TextFSM,
#                store)
#   lib/systemd/system/flexnetd.service, etc/flexnet/flexnetd.conf and
#   flexnetd.env (an existing conf or env is never overwritten)
# Paths that depend on the prefix are written at install time, so that
# `cmake --install build --prefix P` is right for any P (with /usr, the
# config goes to /etc as Debian wants).
include(GNUInstallDirs)

foreach(t flexnet flexnetd flexnet-sim)
  if(TARGET ${t})
    install(TARGETS ${t} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/doc/flexnet.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/doc/flexnetd.8
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${PROJECT_SOURCE_DIR}/proto/flexnet/v1/flexnet.proto
        DESTINATION ${CMAKE_INSTALL_DATADIR}/flexnet/proto/flexnet/v1)
install(FILES ${PROJECT_SOURCE_DIR}/rpc/health.proto
        DESTINATION ${CMAKE_INSTALL_DATADIR}/flexnet/proto)

# The embeddable library: one archive of the engine, vendor profiles,
# TextFSM (parse/), store, generated messages and common helpers.
if(TARGET fn_engine AND TARGET fn_store AND TARGET fn_vendors)
  add_library(fn_embed STATIC
              $<TARGET_OBJECTS:fn_common> $<TARGET_OBJECTS:fn_proto>
              $<TARGET_OBJECTS:fn_vendors> $<TARGET_OBJECTS:fn_parse>
              $<TARGET_OBJECTS:fn_engine>
              $<TARGET_OBJECTS:fn_store>)
  set_target_properties(fn_embed PROPERTIES OUTPUT_NAME flexnet
                                            LINKER_LANGUAGE C)
  install(TARGETS fn_embed ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(FILES
          ${PROJECT_SOURCE_DIR}/common/fn_buf.h
          ${PROJECT_SOURCE_DIR}/common/fn_err.h
          ${PROJECT_SOURCE_DIR}/common/fn_log.h
          ${PROJECT_SOURCE_DIR}/common/fn_time.h
          ${PROJECT_SOURCE_DIR}/vendors/fn_vendor.h
          ${PROJECT_SOURCE_DIR}/parse/fn_parse.h
          ${PROJECT_SOURCE_DIR}/engine/fn_engine.h
          ${PROJECT_SOURCE_DIR}/engine/fn_inventory.h
          ${PROJECT_SOURCE_DIR}/store/fn_store.h
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/flexnet)
  install(FILES ${PROJECT_BINARY_DIR}/proto/gen/flexnet/v1/flexnet.pb-c.h
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/flexnet/flexnet/v1)
endif()

install(CODE "
  set(FN_SRC \"${CMAKE_CURRENT_LIST_DIR}\")
  set(FN_OUT \"${PROJECT_BINARY_DIR}/deploy\")
  set(FN_VERSION \"${FLEXNET_VERSION}\")
  set(FN_REL_BIN \"${CMAKE_INSTALL_BINDIR}\")
  set(FN_REL_LIB \"${CMAKE_INSTALL_LIBDIR}\")
  set(FN_REL_INC \"${CMAKE_INSTALL_INCLUDEDIR}\")")
install(SCRIPT ${CMAKE_CURRENT_LIST_DIR}/install_files.cmake)
