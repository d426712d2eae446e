# Vendored from sqla-wrapper 6.0.0 (tests/test_base_model.py), with only imports and fixtures changed.
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


def test_fill(dbs, TestModelA):
    obj = dbs.create(TestModelA, title="Remember")
    obj.fill(title="lorem ipsum")
    dbs.commit()

    updated = dbs.first(TestModelA)
    assert updated.title == "lorem ipsum"


def test_repr(dbs, TestModelA):
    obj = dbs.create(TestModelA, title="Hello world")
    dbs.commit()

    repr = str(obj)
    assert f"<TestModelA #{id(obj)}" in repr
    assert f"\n id = {obj.id}" in repr
    assert "\n title = 'Hello world'" in repr
