#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Run rdma-core's pyverbs tests (one or more modules) and log each result.

Usage, from the directory that holds rdma-core's `tests` package:
    pyverbs-run.py --results FILE [--iters N] [--dev DEV] [-k PATTERN]
                   tests.test_odp ...

Does what rdma-core's run_tests.py does (its own argument parser sets the
device for every test), but also appends one tab-separated line per event
to FILE and flushes it at once, so the record survives the process dying
in the middle of a test (a crash in the provider takes the interpreter
down with it):
    start   TEST_ID
    ok|fail|error|skip|xfail|upass   TEST_ID   [reason, one line]
The last `start` without an outcome names the test a crash happened in.
Errors raised while setting a class or module up have no start line.

--iters N sets the `iters` attribute that rdma-core's test cases set in
setUp() (100 in most) to N after setUp() ran: the same checks, repeated
fewer times, for runs with a time budget under TCG.
"""
import os
import sys
import types
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


def take_option(argv, name):
    """Remove `name VALUE` from argv; return VALUE or None."""
    if name not in argv:
        return None
    i = argv.index(name)
    value = argv[i + 1]
    del argv[i:i + 2]
    return value


def tests_of(suite):
    """Every test case of a (nested) suite."""
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from tests_of(item)
        else:
            yield item


def limit_iters(suite, iters):
    """Make each test class's setUp() end with self.iters = iters."""
    for cls in {type(t) for t in tests_of(suite)}:
        set_up = cls.setUp

        def limited(self, set_up=set_up):
            set_up(self)
            if hasattr(self, 'iters'):
                self.iters = iters
        cls.setUp = limited


def main():
    argv = sys.argv[1:]
    results = take_option(argv, '--results')
    iters = take_option(argv, '--iters')
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

    # The package without its __init__.py, which imports every test module
    # of every vendor (some 60, ~40 s under TCG) just to offer them for
    # discovery; a module named here imports what it needs itself.
    pkg = types.ModuleType('tests')
    pkg.__path__ = [os.path.join(here, 'tests')]
    sys.modules['tests'] = pkg
    loader = unittest.TestLoader()
    if patterns:
        loader.testNamePatterns = [p if '*' in p else f'*{p}*'
                                   for p in patterns]
    suite = loader.loadTestsFromNames(names)
    if iters:
        limit_iters(suite, int(iters))

    with open(results, 'a', encoding='utf-8') as log:
        LoggingResult.log = log
        runner = unittest.TextTestRunner(verbosity=2, stream=sys.stdout,
                                         resultclass=LoggingResult)
        result = runner.run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == '__main__':
    main()
