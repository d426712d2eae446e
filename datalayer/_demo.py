"""The worked example behind ``datalayer demo``: a tiny shop built on datalayer.

Models on ``db.Model``, a repository for each, a unit of work declaring them and
a service that only sees the unit of work. :func:`run` prints each step and
raises :class:`DemoCheckError` if the database behaves otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from ._repository import Repository
from .database import Database
from .errors import DatalayerError
from .unit_of_work import UnitOfWork

__all__ = ["TABLES", "DemoCheckError", "DemoModel", "run"]

Out = Callable[[str], object]


class DemoModel(DeclarativeBase):
    """The demo's ``Model`` base: ``Database(url, model_class=DemoModel)`` makes it ``db.Model``."""


class Customer(DemoModel):
    __tablename__ = "demo_customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(120), unique=True)

    def __str__(self) -> str:
        return f"customer #{self.id} {self.email}"


class Order(DemoModel):
    __tablename__ = "demo_orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey(Customer.id))
    item: Mapped[str] = mapped_column(String(80))
    customer: Mapped[Customer] = relationship()

    def __str__(self) -> str:
        return f"order #{self.id} {self.item!r} for {self.customer.email}"


TABLES = tuple(table.name for table in DemoModel.metadata.sorted_tables)


class CustomerRepository(Repository[Customer]):
    def by_email(self, email: str) -> Customer | None:
        return self.first(email=email)


class OrderRepository(Repository[Order]):
    def of(self, customer: Customer) -> list[Order]:
        return self.all(customer_id=customer.id)


class ShopUnitOfWork(UnitOfWork):
    customers: CustomerRepository
    orders: OrderRepository


def place_order(uow: ShopUnitOfWork, email: str, item: str) -> Order:
    """The service: it sees repositories only; the caller's unit of work commits or rolls back."""
    customer = uow.customers.first_or_create(email=email)
    return uow.orders.create(customer=customer, item=item)


class DemoCheckError(DatalayerError):
    """The database did not behave as the demo expects."""


class PaymentDeclined(Exception):
    """The failure the demo raises inside a unit of work."""


def _check(ok: bool, what: str) -> None:
    if not ok:
        raise DemoCheckError(f"unexpected: {what}")


def run(db: Database, out: Out) -> None:
    """Run every step on ``db``, whose demo tables exist and are empty."""
    _check(issubclass(Customer, db.Model) and issubclass(Order, db.Model), "the models are not on db.Model")
    out("models Customer (unique email) and Order (foreign key to Customer) on db.Model")
    out("ShopUnitOfWork(UnitOfWork) declares customers: CustomerRepository, orders: OrderRepository")
    for step in (_unit_of_work_commits, _unit_of_work_rolls_back, _session_helpers, _scoped_session):
        step(db, out)


def _unit_of_work_commits(db: Database, out: Out) -> None:
    out("1. a UnitOfWork that commits")
    with ShopUnitOfWork(db) as uow:
        order = place_order(uow, "ada@example.com", "tea")
        out(f"   place_order(uow, 'ada@example.com', 'tea') -> {order}")
    with ShopUnitOfWork(db) as uow:
        ada = uow.customers.by_email("ada@example.com")
        items = [o.item for o in uow.orders.of(ada)] if ada else []
    _check(items == ["tea"], f"a new unit of work reads {items} instead of ['tea']")
    out("   committed: a new unit of work reads it back")


def _unit_of_work_rolls_back(db: Database, out: Out) -> None:
    out("2. a UnitOfWork that raises")
    try:
        with ShopUnitOfWork(db) as uow:
            order = place_order(uow, "bob@example.com", "coffee")
            out(f"   place_order(uow, 'bob@example.com', 'coffee') -> {order}")
            raise PaymentDeclined("payment declined")
    except PaymentDeclined as exc:
        out(f"   raised {type(exc).__name__}({str(exc)!r}): rolled back")
    with ShopUnitOfWork(db) as uow:
        kept = uow.customers.by_email("bob@example.com") is not None or uow.orders.exists(item="coffee")
    _check(not kept, "the rolled back customer or order is still there")
    out("   afterwards: bob@example.com and the 'coffee' order are absent")


def _session_helpers(db: Database, out: Out) -> None:
    out("3. the helpers on db.Session()")
    with db.Session() as dbs:
        cy = dbs.create(Customer, email="cy@example.com")
        out(f"   create(Customer, email='cy@example.com') -> {cy}")
        ada = dbs.first(Customer, email="ada@example.com")
        out(f"   first(Customer, email='ada@example.com') -> {ada}")
        found = dbs.first_or_create(Customer, email="ada@example.com")
        _check(found is ada, "first_or_create did not return the existing customer")
        out(f"   first_or_create(Customer, email='ada@example.com') -> {found} (found)")
        dee = dbs.first_or_create(Customer, email="dee@example.com")
        out(f"   first_or_create(Customer, email='dee@example.com') -> {dee} (created)")
        scone = dbs.create(Order, customer=cy, item="scone")
        out(f"   create(Order, customer=cy, item='scone') -> {scone} (flushed)")
        again = dbs.create_or_first(Customer, email="ada@example.com")
        _check(again is ada, "create_or_first did not return the existing customer")
        out(f"   create_or_first(Customer, email='ada@example.com') -> {again} (existing row)")
        _check(dbs.first(Order, item="scone") is scone, "the flushed order was lost")
        out(f"   {scone} is kept: the conflict undid only its own insert")
        out(f"   all(Customer) -> {', '.join(c.email for c in dbs.all(Customer))}")
        dbs.commit()
    out("   committed")


def _scoped_session(db: Database, out: Out) -> None:
    out("4. db.s, the scoped session of this thread")
    _check(db.s() is db.s(), "db.s gave two sessions in one thread")
    dee = db.s.first(Customer, email="dee@example.com")
    jam = db.s.create(Order, customer=dee, item="jam")
    db.s.commit()
    out(f"   db.s.create(Order, customer=dee, item='jam') -> {jam}; db.s.commit()")
    items = [o.item for o in db.s.all(Order)]
    _check(items == ["tea", "scone", "jam"], f"db.s.all(Order) reads {items}")
    out(f"   db.s.all(Order) -> {', '.join(map(repr, items))}")
    db.s.remove()
    out("   db.s.remove(): the thread's session is closed")
