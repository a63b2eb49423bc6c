"""Django's model backend, loading the signed-in user with their org and roles in two queries.

Every page needs the user's org (the scope of `restrict`) and roles (the permissions); loading them
with the user saves a query on every request.
"""

from django.contrib.auth.backends import ModelBackend


class UserBackend(ModelBackend):
    def get_user(self, user_id):
        from bangfu.accounts.models import User

        user = User._default_manager.select_related("org").prefetch_related("roles").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
