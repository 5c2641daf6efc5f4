import factory
from django.contrib.auth import get_user_model

from registry.models import Account, Department, Staff


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password("pw-for-tests")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.Sequence(lambda n: f"测试学院{n}")
    kind = Department.Kind.COLLEGE


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff

    staff_number = factory.Sequence(lambda n: f"S{n:05d}")
    name = factory.Sequence(lambda n: f"教师{n}")
    department = factory.SubFactory(DepartmentFactory)
    phone = "13800138000"


class AccountFactory(factory.django.DjangoModelFactory):
    """An account with every column a submission needs filled in."""

    class Meta:
        model = Account

    department = factory.SubFactory(DepartmentFactory)
    name = factory.Sequence(lambda n: f"测试工作群{n}")
    platform = Account.Platform.QQ_GROUP
    number = factory.Sequence(lambda n: str(700000000 + n))
    naming_level = Account.NamingLevel.DEPARTMENT
    category = Account.Category.WORK_GROUP
    purpose = "布置日常工作"
    owner_name = "张伟"
    owner_phone = "13800138000"
    security_contact_name = "李娜"
    real_name_admission = True
    rules_acknowledged = True
