from rest_framework import mixins, viewsets

from postmortems.models import PostMortem

from .serializers import PostMortemSerializer


class PostMortemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = PostMortem.objects.select_related("incident")
    serializer_class = PostMortemSerializer

    def perform_create(self, serializer):
        serializer.save(author=self.request.user)
