"""`/api/v1/auth/token/`: POST username + password (+ otp_token) for a token; DELETE revokes it.

Also the API's JSON 404 for paths that match no endpoint.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from bangfu.api.authentication import ExpiringTokenAuthentication
from bangfu.api.base import ApiViewMixin
from bangfu.api.schema import ErrorSerializer
from bangfu.api.tokens import token_obtain, token_revoke


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, label=_("username"))
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, style={"input_type": "password"}, label=_("password")
    )
    otp_token = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        label=_("two-factor code"),
        help_text=_("The code from the authenticator app; required for roles that need two-factor sign-in."),
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_('Send it as the header "Authorization: Token <token>".'))


class TokenView(ApiViewMixin, APIView):
    """Sign in for the API (the sign-in page's rules apply: lockout, two-factor) or sign out."""

    # Only a token revokes a token; a browser session has its own sign-out.
    authentication_classes = [ExpiringTokenAuthentication]
    serializer_class = TokenRequestSerializer

    def get_permissions(self):
        if self.request is not None and self.request.method == "DELETE":
            return [permissions.IsAuthenticated()]
        return [permissions.AllowAny()]

    @extend_schema(
        summary=_("Obtain an API token"),
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(ErrorSerializer, description=_("Wrong credentials or two-factor code.")),
            429: OpenApiResponse(ErrorSerializer, description=_("The account is locked after too many failures.")),
        },
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = token_obtain(request._request, **data.validated_data)
        return Response({"token": token.key})

    @extend_schema(summary=_("Revoke your API token"), request=None, responses={204: None})
    def delete(self, request):
        token_revoke(request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(exclude=True)
class NotFoundView(APIView):
    """Any other path under /api/v1/ ending in a slash: the API's JSON 404, not the HTML page.

    (Paths without the slash still get Django's redirect to the slashed form first.)
    """

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    def initial(self, request, *args, **kwargs):
        raise NotFound()
