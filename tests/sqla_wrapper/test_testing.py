# Vendored from sqla-wrapper 6.0.0 (tests/test_testing.py), with only imports and fixtures changed.
#
# Copyright (c) 2013 Juan-Pablo Scaletti
#
# Permission is hereby granted, free of charge, to any person obtaining
# a copy of this software and associated documentation files (the
# "Software"), to deal in the Software without restriction, including
# without limitation the rights to use, copy, modify, merge, publish,
# distribute, sublicense, and/or sell copies of the Software, and to
# permit persons to whom the Software is furnished to do so, subject to
# the following conditions:
#
# The above copyright notice and this permission notice shall be
# included in all copies or substantial portions of the Software.
#
# THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND,
# EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
# MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
# NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE
# LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION
# OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
# WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.

from sqlalchemy import func, select


def test_independence_1(db, dbs, TestModelB):
    stmt = select(func.count("*")).select_from(TestModelB)
    assert db.s.execute(stmt).scalar() == 1

    db.s.add(TestModelB(title="second"))
    db.s.flush()
    assert db.s.execute(stmt).scalar() == 2


def test_independence_2(db, dbs, TestModelB):
    stmt = select(func.count("*")).select_from(TestModelB)
    assert db.s.execute(stmt).scalar() == 1

    db.s.add(TestModelB(title="second"))
    db.s.flush()
    assert db.s.execute(stmt).scalar() == 2


def test_independence_3(db, dbs, TestModelB):
    stmt = select(func.count("*")).select_from(TestModelB)
    assert db.s.execute(stmt).scalar() == 1

    db.s.add(TestModelB(title="second"))
    db.s.flush()
    assert db.s.execute(stmt).scalar() == 2


def test_rollback(db, dbs, TestModelB):
    stmt = select(func.count("*")).select_from(TestModelB)
    assert db.s.execute(stmt).scalar() == 1

    db.s.add(TestModelB(title="second"))
    db.s.flush()
    db.s.rollback()
    assert db.s.execute(stmt).scalar() == 1
