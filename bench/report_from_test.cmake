# bench_smoke_report_from: rebuilds the smoke run's report from its samples.json alone (bench/run
# --report-from) and requires every file to be identical to the live run's, so that the live path and the
# rebuild path cannot drift apart. Run as: cmake -DBENCH_RUN=... -DSMOKE_DIR=... -DREBUILT_DIR=... -P this.
foreach(var BENCH_RUN SMOKE_DIR REBUILT_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "${var} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE "${REBUILT_DIR}")
execute_process(COMMAND "${BENCH_RUN}" --report-from "${SMOKE_DIR}" --out "${REBUILT_DIR}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "bench/run --report-from ${SMOKE_DIR} failed (exit ${rc})")
endif()
foreach(file results.json results.md latency_percentiles.png latency_cdf.png ratios.png throughput.png)
  execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${SMOKE_DIR}/${file}" "${REBUILT_DIR}/${file}"
                  RESULT_VARIABLE differs)
  if(NOT differs EQUAL 0)
    message(FATAL_ERROR "${file} rebuilt from samples.json differs from the live run's: "
                        "diff ${SMOKE_DIR}/${file} ${REBUILT_DIR}/${file}")
  endif()
endforeach()
