find_package(PkgConfig)

PKG_CHECK_MODULES(PC_GR_MODREC gnuradio-modrec)

FIND_PATH(
    GR_MODREC_INCLUDE_DIRS
    NAMES gnuradio/modrec/api.h
    HINTS $ENV{MODREC_DIR}/include
        ${PC_MODREC_INCLUDEDIR}
    PATHS ${CMAKE_INSTALL_PREFIX}/include
          /usr/local/include
          /usr/include
)

FIND_LIBRARY(
    GR_MODREC_LIBRARIES
    NAMES gnuradio-modrec
    HINTS $ENV{MODREC_DIR}/lib
        ${PC_MODREC_LIBDIR}
    PATHS ${CMAKE_INSTALL_PREFIX}/lib
          ${CMAKE_INSTALL_PREFIX}/lib64
          /usr/local/lib
          /usr/local/lib64
          /usr/lib
          /usr/lib64
          )

include("${CMAKE_CURRENT_LIST_DIR}/gnuradio-modrecTarget.cmake")

INCLUDE(FindPackageHandleStandardArgs)
FIND_PACKAGE_HANDLE_STANDARD_ARGS(GR_MODREC DEFAULT_MSG GR_MODREC_LIBRARIES GR_MODREC_INCLUDE_DIRS)
MARK_AS_ADVANCED(GR_MODREC_LIBRARIES GR_MODREC_INCLUDE_DIRS)
