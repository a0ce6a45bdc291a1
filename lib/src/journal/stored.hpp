// What the SQLite and the PostgreSQL journal both do with the text they store (internal).
#pragma once

#include <string>
#include <vector>

#include "docketcard/journal/journal.hpp"

namespace docketcard::journal::detail {

/// The lines of a stored multi-line text (a record's problems); none for an empty text.
std::vector<std::string> split_lines(const std::string& text);

/// The State stored as `name`; Error(Journal) for a name this version does not know.
State stored_state(const std::string& name);

}  // namespace docketcard::journal::detail
