# Compiles the header as C++14 and expects it to stop with harmony.hpp's own #error message.
execute_process(COMMAND ${CXX} -std=c++14 -fsyntax-only -I${INC} -I${SRC} ${SRC}/tests/header_check.cpp
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "harmony.hpp compiled as C++14")
endif()
# The first error the compiler reports is the header's own message.
string(REGEX MATCH "error:[^\n]*" first "${err}")
if(NOT first MATCHES "harmony.hpp requires C\\+\\+17")
  message(FATAL_ERROR "the first error is not harmony.hpp's #error (${first}):\n${err}")
endif()
