// A project outside docketcard that finds the installed package and uses docketcard::core.
#include <cstdio>

#include <docketcard/record/mrz.hpp>

int main() {
    // ICAO Doc 9303 Part 5 sample: the check digit of document number D23145890 is 7.
    const char digit = docketcard::mrz::check_digit("D23145890");
    std::printf("%c\n", digit);
    return digit == '7' ? 0 : 1;
}
