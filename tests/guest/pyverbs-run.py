#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Run rdma-core's pyverbs tests (one or more modules) and log each result.

Usage, from the directory that holds rdma-core's `tests` package:
    pyverbs-run.py --results FILE [--dev DEV] [-k PATTERN] tests.test_odp ...

Does what rdma-core's run_tests.py does (its own argument parser sets the
device for every test), but also appends one tab-separated line per event
to FILE and flushes it at once, so the record survives the process dying
in the middle of a test (a crash in the provider takes the interpreter
down with it):
    start   TEST_ID
    ok|fail|error|skip|xfail|upass   TEST_ID   [reason, one line]
The last `start` without an outcome names the test a crash happened in.
Errors raised while setting a class or module up have no start line.
"""
import os
import sys
import unittest


def one_line(text):
    """The last non-empty line of a traceback or a reason, tabs removed."""
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    return (lines[-1] if lines else '').replace('\t', ' ')


class LoggingResult(unittest.TextTestResult):
    """A text result that also writes each event to a log file."""
    log = None

    def _note(self, status, test, reason=''):
        test_id = test.id() if hasattr(test, 'id') else str(test)
        self.log.write(f'{status}\t{test_id}\t{one_line(reason)}\n')
        self.log.flush()

    def startTest(self, test):
        self._note('start', test)
        super().startTest(test)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._note('ok', test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._note('fail', test, self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._note('error', test, self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._note('skip', test, reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._note('xfail', test)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._note('upass', test)


def main():
    argv = sys.argv[1:]
    results = None
    if '--results' in argv:
        i = argv.index('--results')
        results = argv[i + 1]
        del argv[i:i + 2]
    if not results:
        sys.exit('pyverbs-run.py: --results FILE is required')

    here = os.getcwd()
    # rdma-core's modules import `args_parser` as a top-level module and
    # `tests.*` as a package: both directories go on the path.
    sys.path[:0] = [os.path.join(here, 'tests'), here]
    from args_parser import parser  # noqa: E402  (rdma-core's own)

    # Its parser takes --dev/--port/--gid/-v and leaves the rest in argv.
    sys.argv[1:] = argv
    parser.parse_args()
    rest = sys.argv[1:]
    patterns = []
    names = []
    while rest:
        arg = rest.pop(0)
        if arg == '-k' and rest:
            patterns.append(rest.pop(0))
        elif arg in ('-v', '--verbose'):
            continue
        else:
            names.append(arg)
    if not names:
        sys.exit('pyverbs-run.py: no test module given')

    import tests  # noqa: F401,E402  (imports every test module, as upstream)
    loader = unittest.TestLoader()
    if patterns:
        loader.testNamePatterns = [p if '*' in p else f'*{p}*'
                                   for p in patterns]
    suite = loader.loadTestsFromNames(names)

    with open(results, 'a', encoding='utf-8') as log:
        LoggingResult.log = log
        runner = unittest.TextTestRunner(verbosity=2, stream=sys.stdout,
                                         resultclass=LoggingResult)
        result = runner.run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == '__main__':
    main()
