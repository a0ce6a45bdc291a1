# CPack (DEB generator) over the install rules: two Debian packages from the install components
# (docs/packaging.md):
#   tools -> docketcard          the tools, the emulated card and its systemd unit, man pages,
#                                bash completion, /etc/docketcard/docketcard.toml (conffile)
#   dev   -> libdocketcard-dev   headers, static libraries, the CMake package
# `scripts/run package` runs it into out/.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME docketcard)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_PACKAGE_VENDOR "docketcard developers")
set(CPACK_PACKAGE_CONTACT "docketcard developers <dev@docketcard.invalid>")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL tools dev)
# Install into a staging DESTDIR with the prefix /usr, so the conffile rule sees /usr (-> /etc).
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
  OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME docketcard)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION utils)
# Depends: from the ELF files' shared libraries (dpkg-shlibdeps).
set(CPACK_DEBIAN_TOOLS_PACKAGE_SHLIBDEPS ON)
# PC/SC readers need the pcsc-lite service; the emulated card behind it needs vpcd.
set(CPACK_DEBIAN_TOOLS_PACKAGE_RECOMMENDS "pcscd")
set(CPACK_DEBIAN_TOOLS_PACKAGE_SUGGESTS "vsmartcard-vpcd, opensc")
set(CPACK_DEBIAN_TOOLS_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/packaging/conffiles)
file(WRITE ${CMAKE_BINARY_DIR}/packaging/conffiles "/etc/docketcard/docketcard.toml\n")
set(CPACK_COMPONENT_TOOLS_DESCRIPTION "personalize, lock and verify Secure Docket Card chips
docketcard writes the chip of the Secure Docket Card (ICAO Doc 9303 eMRTD
data groups, signed EF.SOD, Basic Access Control, Active Authentication)
through PC/SC card readers, locks and verifies it, and issues batches of
cards with a crash-safe journal.
.
The package holds the docketcard tool, the emulated card docketcard-sim
with its systemd unit docketcard-sim@.service, man pages and bash
completion.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libdocketcard-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# Static libraries: nothing for dpkg-shlibdeps to read. Its CMake package finds these (see
# cmake/docketcardConfig.cmake.in), so they are its dependencies.
set(CPACK_DEBIAN_DEV_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libssl-dev (>= 3), libfmt-dev, nlohmann-json3-dev, libsimdjson-dev, libsqlite3-dev, libpcsclite-dev, libpq-dev, pkg-config")
set(CPACK_COMPONENT_DEV_DESCRIPTION "Secure Docket Card personalization library (development files)
The C++20 library of docketcard: holder records, ICAO Doc 9303 LDS
encoding and signing, secure messaging, PC/SC transport, card
personalization and verification, the batch journal, and the card-side
applet used by the emulated card.
.
The package holds the headers, the static libraries and the CMake
package: find_package(docketcard) and link docketcard::core.")

include(CPack)
