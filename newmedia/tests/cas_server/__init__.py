"""A real CAS 3.0 server (django-cas-server) for the sign-in tests, run in a process of its own."""

PASSWORD = "cas-password"
# Staff number, name, department: the school's directory as the CAS server knows it.
USERS = [("20001", "张三", "会计学院"), ("99999", "李四", "外聘单位")]
