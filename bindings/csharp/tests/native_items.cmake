# Evaluates Harmony/LibHarmony.Native.targets (the part of Harmony.csproj that picks the native
# libraries to pack) with Mono's xbuild and checks what it resolves: there is no .NET SDK here,
# so this is the check that the native file paths resolve (the rest of the SDK project is not
# evaluated: xbuild cannot load Sdk="Microsoft.NET.Sdk").
#   -DXBUILD=... -DTARGETS=... -DREPO=<source dir> -DLIBDIR=<dir with libharmony.so> -DWORK=<scratch>
cmake_policy(VERSION 3.16)
function(list_native out_var expect_fail)
  execute_process(COMMAND ${XBUILD} /nologo /v:minimal /t:HarmonyListNative ${ARGN} ${TARGETS}
                  WORKING_DIRECTORY ${REPO} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  string(REGEX MATCHALL "harmony-native: [^\n]*" lines "${out}")
  list(SORT lines)
  if(expect_fail)
    if(rc EQUAL 0 AND NOT out MATCHES "error :")
      message(FATAL_ERROR "xbuild ${ARGN} should have failed:\n${out}")
    endif()
  elseif(NOT rc EQUAL 0 OR out MATCHES "error :")
    message(FATAL_ERROR "xbuild ${ARGN} failed:\n${out}${err}")
  endif()
  set(${out_var} "${lines}" PARENT_SCOPE)
  set(${out_var}_TEXT "${out}" PARENT_SCOPE)
endfunction()
function(expect got want what)
  if(NOT "${got}" STREQUAL "${want}")
    message(FATAL_ERROR "${what}:\n  got  ${got}\n  want ${want}")
  endif()
  message(STATUS "${what}: ok")
endfunction()

# 1. A relative HarmonyNativeDir is taken from where the build starts (xbuild does not set
#    MSBuildStartupDirectory, so the repository root, where this runs), not from the project's
#    folder (the bug of the old Harmony.csproj, which silently packed nothing).
file(RELATIVE_PATH rel ${REPO} ${LIBDIR})
list_native(got OFF /p:HarmonyNativeDir=${rel})
expect("${got}" "harmony-native: runtimes/linux-x64/native/|${LIBDIR}/libharmony.so" "relative HarmonyNativeDir=${rel}")
# 2. An absolute one, with another RID.
list_native(got OFF /p:HarmonyNativeDir=${LIBDIR} /p:HarmonyRid=linux-arm64)
expect("${got}" "harmony-native: runtimes/linux-arm64/native/|${LIBDIR}/libharmony.so" "absolute HarmonyNativeDir, HarmonyRid")
# 3. A runtimes/ tree: every RID present is packed, absent ones are skipped.
set(rt ${WORK}/runtimes)
file(REMOVE_RECURSE ${rt})
file(MAKE_DIRECTORY ${rt}/linux-x64/native ${rt}/win-x64/native ${rt}/osx-arm64)
file(COPY ${LIBDIR}/libharmony.so.0.1.0 DESTINATION ${rt}/linux-x64/native)
file(RENAME ${rt}/linux-x64/native/libharmony.so.0.1.0 ${rt}/linux-x64/native/libharmony.so)
file(WRITE ${rt}/win-x64/native/harmony.dll "stand-in")
file(WRITE ${rt}/osx-arm64/libharmony.dylib "misplaced: not under native/")
list_native(got OFF /p:HarmonyRuntimesDir=${rt})
set(want "harmony-native: runtimes/linux-x64/native/|${rt}/linux-x64/native/libharmony.so"
         "harmony-native: runtimes/win-x64/native/|${rt}/win-x64/native/harmony.dll")
list(SORT want)
expect("${got}" "${want}" "HarmonyRuntimesDir with linux-x64 and win-x64")
# 4. Naming a directory without a library is an error, not a package without it.
list_native(got ON /p:HarmonyNativeDir=${WORK}/no-such-dir)
if(NOT got_TEXT MATCHES "holds no libharmony.so")
  message(FATAL_ERROR "no clear error for a HarmonyNativeDir without a library:\n${got_TEXT}")
endif()
file(MAKE_DIRECTORY ${WORK}/empty-runtimes)
list_native(got ON /p:HarmonyRuntimesDir=${WORK}/empty-runtimes)
list_native(got ON /p:HarmonyRuntimesDir=${rt} /p:HarmonyNativeDir=${LIBDIR})
message(STATUS "missing native libraries are errors: ok")
