# install_files.cmake — runs inside `cmake --install` (see install.cmake):
# writes the unit and flexnet.pc for the prefix being installed to, and
# the default config files unless they exist.
set(FN_PREFIX "${CMAKE_INSTALL_PREFIX}")
if(FN_PREFIX STREQUAL "/usr")
  set(FN_ETC "/etc/flexnet")
else()
  set(FN_ETC "${FN_PREFIX}/etc/flexnet")
endif()
set(FN_BINDIR "${FN_PREFIX}/${FN_REL_BIN}")
set(FN_LIBDIR "${FN_PREFIX}/${FN_REL_LIB}")
set(FN_INCLUDEDIR "${FN_PREFIX}/${FN_REL_INC}")

configure_file(${FN_SRC}/flexnetd.service.in ${FN_OUT}/flexnetd.service
               @ONLY)
configure_file(${FN_SRC}/flexnet.pc.in ${FN_OUT}/flexnet.pc @ONLY)
file(INSTALL ${FN_OUT}/flexnetd.service
     DESTINATION "${FN_PREFIX}/lib/systemd/system")
file(INSTALL ${FN_OUT}/flexnet.pc DESTINATION "${FN_LIBDIR}/pkgconfig")

if(NOT EXISTS "$ENV{DESTDIR}${FN_ETC}/flexnetd.conf")
  file(INSTALL ${FN_SRC}/flexnetd.conf DESTINATION "${FN_ETC}")
endif()
if(NOT EXISTS "$ENV{DESTDIR}${FN_ETC}/flexnetd.env")
  file(INSTALL ${FN_SRC}/flexnetd.env DESTINATION "${FN_ETC}"
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE)
endif()
