# Runs the C++ example (EXE) on INPUT and checks its exit status and what it printed.
execute_process(COMMAND ${EXE} ${INPUT} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "example exited with ${rc}")
endif()
foreach(re "prompt: [0-9]+ tokens" "\\[analysis\\] The" "\\[final\\] It" "\nanalysis: The tool says 21"
           "\nfinal: It is 21 ")
  if(NOT out MATCHES "${re}")
    message(FATAL_ERROR "example output does not match `${re}`")
  endif()
endforeach()
