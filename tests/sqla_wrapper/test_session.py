# Vendored from sqla-wrapper 6.0.0 (tests/test_session.py), with only imports and fixtures changed.
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


def test_first(dbs, TestModelA):
    dbs.add(TestModelA(title="Lorem"))
    dbs.add(TestModelA(title="Ipsum"))
    dbs.add(TestModelA(title="Sit"))
    dbs.commit()

    obj = dbs.first(TestModelA)
    assert obj.title == "Lorem"


def test_create(dbs, TestModelA):
    dbs.create(TestModelA, title="Remember")
    dbs.commit()
    obj = dbs.first(TestModelA)
    assert obj.title == "Remember"


def test_all(dbs, TestModelA):
    dbs.create(TestModelA, title="Lorem")
    dbs.create(TestModelA, title="Ipsum")
    dbs.commit()

    obj_list = dbs.all(TestModelA)
    assert len(obj_list) == 2


def test_create_or_first_using_create(dbs, TestModelA):
    obj1 = dbs.create_or_first(TestModelA, title="Lorem Ipsum")
    assert obj1
    dbs.commit()

    obj2 = dbs.create_or_first(TestModelA, title="Lorem Ipsum")
    assert obj1 == obj2


def test_create_or_first_using_first(dbs, TestModelA):
    obj1 = dbs.create(TestModelA, title="Lorem Ipsum")
    assert obj1
    dbs.commit()

    obj2 = dbs.create_or_first(TestModelA, title="Lorem Ipsum")
    assert obj1 == obj2


def test_first_or_create_using_first(dbs, TestModelA):
    obj1 = dbs.create(TestModelA, title="Lorem Ipsum")
    assert obj1
    dbs.commit()

    obj2 = dbs.first_or_create(TestModelA, title="Lorem Ipsum")
    assert obj1 == obj2


def test_first_or_create_using_create(dbs, TestModelA):
    assert dbs.first_or_create(TestModelA, id=1, title="Lorem Ipsum")
    dbs.commit()

    obj = dbs.first_or_create(TestModelA, title="Lorem Ipsum")
    assert obj and obj.id == 1
