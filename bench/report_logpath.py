# SPDX-License-Identifier: LGPL-2.1-or-later
"""The log path's part of the report (bench/logpath/run-logpath.py rows)."""


def goal_rows(summ, unstable):
    return []


def markdown(summ, unstable):
    return []
